"""Registry import (导入): households with their residents from the rosters communities really keep.

Formats: .xlsx, .xls, .ods (python-calamine) and .csv (UTF-8, UTF-8 with BOM, GBK/GB18030; the
encoding is detected with charset-normalizer when the bytes are not UTF-8). One row per resident;
the household is the row's address (community, compound, building, unit, room). The layout of the
downloadable template is :data:`columns.TEMPLATE_COLUMNS` (lianfang.registry.exporters writes it).

The pipeline (design.md "Bulk paths"; docs/import.md):

1. **Read** every sheet; find the header row (or a two-row header, merged cells flattened to
   ``住址-楼栋``) by matching Chinese and English synonyms; fill merged data cells within their range;
   skip blank rows; ignore unknown columns with a warning; a missing required column is an error.
2. **Validate the whole file** against the database, loaded once (divisions, households and
   residents of the target; other residents only by the ID hashes in the file): ID numbers per
   GB 11643-1999 through core.idnumber (numbers stored as numbers are "Corrupted by Excel", never
   repaired), phones with phonenumbers, the same person twice in the file or already living in
   another household is a conflict, an unknown compound/building/unit is an error naming the
   nearest matches. Every problem is an :class:`plan.Issue` (sheet, row, column, value, reason).
3. **Commit** only when there is no error: one transaction; new rows by COPY (PostgreSQL) or
   ``executemany`` (SQLite) through core.bulk; changed rows updated with their previous values kept
   in ImportChange; upsert keyed on the ID-number hash, so importing the same file again changes
   nothing and says so. The whole batch can be rolled back (:func:`batches.import_batch_rollback`).
   Deaths and other irreversible statuses are never set by an import.

The modules, in dependency order (each imports only those above it): ``columns`` (template columns,
header synonyms, cell values), ``reading`` (formats, sheets, the header), ``plan`` (the plan of a file),
``places`` (divisions named by a row), ``parallel`` (forked workers), ``validation`` (:func:`plan_import`),
``commit`` (:func:`commit_plan`), ``workers`` (the workers roster import) and ``batches`` (queued,
audited batches and their rollback). Import names from the module that defines them.
"""
