"""Provider metadata read by Airflow through the `apache_airflow_provider` entry point."""

from __future__ import annotations

from typing import Any

from airflow_openai import __version__
from airflow_openai.client.settings import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT

CONN_TYPE = "openai_platform"
EMULATOR_DASHBOARD = "http://127.0.0.1:8089/_emulator/dashboard"
"""The form of the emulator's dashboard URL (`airflow-openai-emulator`'s default host and port),
shown in the connection form as an example of the Dashboard URL field."""


def get_provider_info() -> dict[str, Any]:
    """What Airflow shows in `airflow providers list` and uses to build the connection form."""
    return {
        "package-name": "airflow-provider-openai",
        "name": "OpenAI Platform",
        "description": "Batches, files and uploads, fine-tuning, vector stores and organization admin "
        "on the OpenAI platform API, with deferrable waits and exactly-once submission. "
        "Needs Apache Airflow 3.3.0 or later (its task state store).",
        "versions": [__version__],
        "hook-class-names": ["airflow_openai.hooks.openai.OpenAIHook"],
        "operators": [
            {
                "integration-name": "OpenAI Platform",
                "python-modules": [
                    "airflow_openai.operators.admin",
                    "airflow_openai.operators.batch",
                    "airflow_openai.operators.direct",
                    "airflow_openai.operators.embeddings",
                    "airflow_openai.operators.files",
                    "airflow_openai.operators.fine_tuning",
                    "airflow_openai.operators.runs",
                    "airflow_openai.operators.vector_stores",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "OpenAI Platform",
                "python-modules": [
                    "airflow_openai.sensors.batch",
                    "airflow_openai.sensors.fine_tuning",
                    "airflow_openai.sensors.runs",
                    "airflow_openai.sensors.vector_stores",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": "OpenAI Platform",
                "python-modules": [
                    "airflow_openai.triggers.job",
                    "airflow_openai.triggers.batch",
                    "airflow_openai.triggers.fine_tuning",
                    "airflow_openai.triggers.runs",
                    "airflow_openai.triggers.vector_stores",
                ],
            }
        ],
        "hooks": [{"integration-name": "OpenAI Platform", "python-modules": ["airflow_openai.hooks.openai"]}],
        "integrations": [
            {
                "integration-name": "OpenAI Platform",
                "external-doc-url": "https://platform.openai.com/docs/api-reference",
                "tags": ["software"],
            }
        ],
        "extra-links": [
            "airflow_openai.links.OpenAIBatchLink",
            "airflow_openai.links.OpenAIFineTuningJobLink",
            "airflow_openai.links.OpenAIVectorStoreLink",
            "airflow_openai.links.OpenAIThreadLink",
        ],
        "config": {
            "openai": {
                "description": "Settings of the OpenAI Platform provider.",
                "options": {
                    "output_root": {
                        "description": "Where the operators write what they produce when a task gives no "
                        "output_path (batch results, fine-tuning metrics, audit-log exports, organization "
                        "snapshots): a folder or object storage path every worker can read, under "
                        "{root}/{dag_id}/... . A connection's output_root extra wins over it. Unset, they go "
                        "to the worker's own $AIRFLOW_HOME (openai_batches, openai_fine_tuning, "
                        "openai_admin), which tasks on other workers cannot read.\n",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "s3://aws_default@bucket/openai/",
                        "default": "",
                    }
                },
            }
        },
        "connection-types": [
            {
                "hook-class-name": "airflow_openai.hooks.openai.OpenAIHook",
                "connection-type": CONN_TYPE,
                "hook-name": "OpenAI Platform",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login"],
                    "relabeling": {"password": "API key", "host": "Base URL"},
                    "placeholders": {
                        "password": "sk-proj-...",
                        "host": "https://api.openai.com/v1",
                        "dashboard_url": EMULATOR_DASHBOARD,
                    },
                },
                "conn-fields": {
                    "organization": {
                        "label": "Organization ID",
                        "schema": {"type": ["string", "null"]},
                        "description": "Sent as OpenAI-Organization (falls back to OPENAI_ORG_ID).",
                    },
                    "project": {
                        "label": "Project ID",
                        "schema": {"type": ["string", "null"]},
                        "description": "Sent as OpenAI-Project (falls back to OPENAI_PROJECT_ID).",
                    },
                    "admin_api_key": {
                        "label": "Admin API key",
                        "schema": {"type": ["string", "null"], "format": "password"},
                        "description": "Used only for /organization/* endpoints (falls back to OPENAI_ADMIN_KEY).",
                    },
                    "timeout": {
                        "label": "Timeout (seconds)",
                        "schema": {"type": ["number", "null"], "minimum": 1},
                        "description": "How long one request may take before it is given up (and retried). "
                        f"Default {DEFAULT_TIMEOUT:g}.",
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "schema": {"type": ["integer", "null"], "minimum": 0},
                        "description": "How often a request that failed for a passing reason (a 429, a 5xx, "
                        f"a lost connection) is sent again. Default {DEFAULT_MAX_RETRIES}.",
                    },
                    "output_root": {
                        "label": "Output root",
                        "schema": {"type": ["string", "null"]},
                        "description": "Folder or object storage path (s3://bucket/openai/) for batch "
                        "results and fine-tuning metrics of tasks that give no output_path (wins over "
                        "[openai] output_root).",
                    },
                    "auth_type": {
                        "label": "Auth type",
                        "schema": {
                            "type": ["string", "null"],
                            "enum": ["api_key", "workload_identity", None],
                        },
                        "description": "api_key (default: the password) or workload_identity (keyless: an "
                        "access token exchanged for the workload's own identity; admin calls keep the "
                        "admin API key).",
                    },
                    "workload_identity_provider": {
                        "label": "Workload identity provider",
                        "schema": {
                            "type": ["string", "null"],
                            "enum": ["kubernetes", "azure", "gcp", "custom", None],
                        },
                        "description": "Where the subject token comes from (workload identity only).",
                    },
                    "identity_provider_id": {
                        "label": "Identity provider ID",
                        "schema": {"type": ["string", "null"]},
                        "description": "The OpenAI identity provider trusted for the subject token.",
                    },
                    "service_account_id": {
                        "label": "Service account ID",
                        "schema": {"type": ["string", "null"]},
                        "description": "The OpenAI service account the access token acts as.",
                    },
                    "token_file_path": {
                        "label": "Token file path (kubernetes)",
                        "schema": {"type": ["string", "null"]},
                        "description": "Projected service account token (default "
                        "/var/run/secrets/kubernetes.io/serviceaccount/token).",
                    },
                    "resource": {
                        "label": "Resource (azure)",
                        "schema": {"type": ["string", "null"]},
                        "description": "IMDS resource (default https://management.azure.com/).",
                    },
                    "client_id": {
                        "label": "Client ID (azure)",
                        "schema": {"type": ["string", "null"]},
                        "description": "Of a user-assigned managed identity.",
                    },
                    "object_id": {"label": "Object ID (azure)", "schema": {"type": ["string", "null"]}},
                    "msi_res_id": {
                        "label": "MSI resource ID (azure)",
                        "schema": {"type": ["string", "null"]},
                    },
                    "api_version": {
                        "label": "IMDS API version (azure)",
                        "schema": {"type": ["string", "null"]},
                        "description": "Default 2018-02-01.",
                    },
                    "audience": {
                        "label": "Audience (gcp)",
                        "schema": {"type": ["string", "null"]},
                        "description": "Of the GCP identity token (default https://api.openai.com/v1).",
                    },
                    "token_provider": {
                        "label": "Token provider (custom)",
                        "schema": {"type": ["string", "null"]},
                        "description": "Dotted path to a callable returning the subject token.",
                    },
                    "token_type": {
                        "label": "Token type (custom)",
                        "schema": {"type": ["string", "null"], "enum": ["jwt", "id", None]},
                    },
                    "refresh_buffer_seconds": {
                        "label": "Refresh buffer (seconds)",
                        "schema": {"type": ["number", "null"], "minimum": 0},
                        "description": "Refresh the access token this long before it expires (default 1200, "
                        "at most half its lifetime).",
                    },
                    "token_exchange_url": {
                        "label": "Token exchange URL",
                        "schema": {"type": ["string", "null"]},
                        "description": "Default https://auth.openai.com/oauth/token.",
                    },
                    "dashboard_url": {
                        "label": "Dashboard URL",
                        # The UI of Airflow 3.3 shows a text field's `examples` as its suggestions.
                        "schema": {
                            "type": ["string", "null"],
                            "examples": ["https://platform.openai.com", EMULATOR_DASHBOARD],
                        },
                        "description": "Root of the web dashboard the task links open (default: "
                        "https://platform.openai.com for api.openai.com, no link for other hosts); "
                        f"for the emulator, its /_emulator/dashboard ({EMULATOR_DASHBOARD}).",
                    },
                },
            }
        ],
    }
