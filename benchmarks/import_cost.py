"""What a DAG file pays to use this provider, on top of `import airflow.sdk`.

Each figure is measured in a fresh interpreter, runs interleaved so machine noise hits
all variants alike; medians are printed with the ratio to the baseline.

    python benchmarks/import_cost.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys

PROBE = """
import time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
{extra}
t2 = time.perf_counter()
print(f"RESULT {{t1 - t0:.6f}} {{t2 - t1:.6f}}")
"""

VARIANTS = {
    "baseline: import airflow.sdk": "",
    "+ import airflow_openai.operators": "import airflow_openai.operators",
    "+ construct an operator": "import airflow_openai.operators as o; o.OpenAIBaseOperator(task_id='t')",
    "+ import the hook (task runtime)": "import airflow_openai.hooks",
}


def measure(extra: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(extra=extra)], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    sdk, added = map(float, line.split()[1:])
    return sdk, added


def main(runs: int) -> None:
    sdk_times: list[float] = []
    added: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, extra in VARIANTS.items():
            sdk, extra_time = measure(extra)
            sdk_times.append(sdk)
            added[name].append(extra_time)
    sdk_median = statistics.median(sdk_times)
    print(f"runs per variant: {runs}")
    print(f"{'import airflow.sdk (baseline)':38s} {sdk_median * 1000:8.1f} ms")
    for name, times in added.items():
        if not VARIANTS[name]:
            continue
        median = statistics.median(times)
        print(f"{name:38s} {median * 1000:8.1f} ms added   ({median / sdk_median:7.2%} of the baseline)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
