"""Organization admin exports as plain logic, with no Airflow in sight.

`interval` turns a DAG run's data interval (or explicit bounds) into the audit log's
`effective_at` query and a file name; `audit_export` reads one interval of the audit log,
all pages, and writes it as JSONL, oldest first; `inventory` reads the organization's users,
invites, projects, project members, service accounts and API keys, and finds keys unused
for N days. The operators in `airflow_openai.operators.admin` only wire these to a hook,
a path and XCom.
"""

from airflow_openai.admin.audit_export import AuditLogExport, AuditLogFilters, read_interval
from airflow_openai.admin.interval import Interval, to_utc
from airflow_openai.admin.inventory import Inventory, take_inventory, unused_keys
from airflow_openai.admin.jsonl import write_jsonl

__all__ = [
    "AuditLogExport",
    "AuditLogFilters",
    "Interval",
    "Inventory",
    "read_interval",
    "take_inventory",
    "to_utc",
    "unused_keys",
    "write_jsonl",
]
