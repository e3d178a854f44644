"""Locust users for bench/desk_peak.py: each user is one sampling desk registering people through the
API (token auth) with client idempotency keys, closing a 10-in-1 tube every ten people, and retrying
the same key after Retry-After on 429/503 or a dropped connection (as the desk page does)."""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid

from locust import FastHttpUser, constant_throughput, events, task

SPEC = json.loads(open(os.environ["DESK_BENCH_SPEC"]).read())  # noqa: SIM115
IDS = SPEC["ids"]
_users = itertools.count()
OUTCOME = {"acked": [], "refused": 0, "server_errors": 0, "gave_up": 0, "retries": 0}


class Desk(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("DESK_RATE_PER_USER", "4")))

    def on_start(self):
        n = next(_users)
        self.desk = SPEC["desks"][n % len(SPEC["desks"])]
        self.ids = iter(IDS[n :: SPEC["users"]])
        self.tube = uuid.uuid4().hex
        self.in_tube = 0
        self.headers = {"Authorization": f"Token {SPEC['token']}"}

    def _post(self, body, name):
        key = uuid.uuid4().hex
        headers = {**self.headers, "Idempotency-Key": key}
        for _attempt in range(30):
            with self.client.post(
                "/api/v1/screening/samples/", json=body, headers=headers, name=name, catch_response=True
            ) as response:
                if response.status_code in (200, 201, 409):
                    response.success()
                    return key, response.status_code
                if response.status_code in (429, 503) or response.status_code == 0:
                    response.success() if response.status_code else response.failure("connection")
                    OUTCOME["retries"] += 1
                    time.sleep(float(response.headers.get("Retry-After", "1") if response.headers else 1))
                    continue
                OUTCOME["server_errors"] += response.status_code >= 500
                response.failure(f"HTTP {response.status_code}")
                return key, response.status_code
        OUTCOME["gave_up"] += 1
        return key, 0

    @task
    def register(self):
        number = next(self.ids, None)
        if number is None:
            self.stop()
            return
        key, status = self._post({"desk": self.desk, "kind": "scan", "value": number, "tube": self.tube}, "register")
        if status == 201:
            OUTCOME["acked"].append(key)
            self.in_tube += 1
        elif status == 409:
            OUTCOME["refused"] += 1
        if self.in_tube >= 10:
            self._post(
                {"desk": self.desk, "kind": "close", "value": "B" + self.tube[:20].upper(), "tube": self.tube}, "close"
            )
            self.tube, self.in_tube = uuid.uuid4().hex, 0


@events.test_stop.add_listener
def _write_outcome(environment, **_kwargs):
    with open(os.environ["DESK_BENCH_OUT"], "w") as f:
        json.dump(OUTCOME, f)
