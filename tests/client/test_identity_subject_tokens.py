"""Each subject-token source against a local stand-in: a token file, a loopback IMDS and GCP metadata."""

from __future__ import annotations

import pytest

from airflow_openai.client.errors import WorkloadIdentityError
from airflow_openai.client.identity.settings import WorkloadIdentitySettings
from airflow_openai.client.identity.subject_tokens import SUBJECT_TOKEN_TYPES, provider_for
from tests.support.identity_stand_ins import StandIn, json_answer

SUBJECT = "SUBJECT-CANARY-eyJhbGciOi.subject"
IDS = {"identity_provider_id": "idp_1", "service_account_id": "sa_1"}


def settings(**extra):
    return WorkloadIdentitySettings.from_extra({**IDS, **extra}, source="wif", environ={})


def test_kubernetes_token_file_is_read_each_time(tmp_path):
    path = tmp_path / "token"
    path.write_text(SUBJECT + "\n")
    provider = provider_for(settings(workload_identity_provider="kubernetes", token_file_path=str(path)))
    token = provider()
    assert (token.value, token.token_type) == (SUBJECT, SUBJECT_TOKEN_TYPES["jwt"])
    assert SUBJECT not in repr(token)
    path.write_text("rotated")
    assert provider().value == "rotated"


def test_kubernetes_missing_or_empty_file_names_it(tmp_path):
    missing = provider_for(
        settings(workload_identity_provider="kubernetes", token_file_path=str(tmp_path / "no"))
    )
    with pytest.raises(WorkloadIdentityError, match=r"'wif'.*Kubernetes token file .*no could not be read"):
        missing()
    (tmp_path / "empty").write_text("  \n")
    empty = provider_for(
        settings(workload_identity_provider="kubernetes", token_file_path=str(tmp_path / "empty"))
    )
    with pytest.raises(WorkloadIdentityError, match="is empty"):
        empty()


def test_azure_imds_request_and_answer():
    with StandIn(lambda seen: json_answer({"access_token": SUBJECT, "expires_in": "3599"})) as imds:
        provider = provider_for(
            settings(
                workload_identity_provider="azure",
                resource="api://openai",
                client_id="cid",
                msi_res_id="/res/id",
                metadata_url=f"{imds.url}/metadata/identity/oauth2/token",
            )
        )
        token = provider()
    assert (token.value, token.token_type) == (SUBJECT, SUBJECT_TOKEN_TYPES["jwt"])
    (seen,) = imds.seen
    assert (seen.method, seen.path) == ("GET", "/metadata/identity/oauth2/token")
    assert seen.headers["metadata"] == "true"
    assert seen.query == {
        "api-version": "2018-02-01",
        "resource": "api://openai",
        "client_id": "cid",
        "msi_res_id": "/res/id",
    }


@pytest.mark.parametrize(
    ("answer", "message", "transient"),
    [
        (json_answer({"error": "invalid_request"}, 400), "HTTP 400", False),
        (json_answer({"error": "busy"}, 503), "HTTP 503", True),
        (json_answer({"token_type": "Bearer"}), "without an access_token", False),
        ((200, {}, b"not json"), "without an access_token", False),
    ],
)
def test_azure_failures_name_imds(answer, message, transient):
    with StandIn(lambda seen: answer) as imds:
        provider = provider_for(settings(workload_identity_provider="azure", metadata_url=imds.url))
        with pytest.raises(WorkloadIdentityError, match=f"'wif'.*Azure.*IMDS.*{message}") as caught:
            provider()
    assert caught.value.transient is transient


def test_gcp_metadata_request_and_answer(monkeypatch):
    with StandIn(lambda seen: (200, {"Content-Type": "text/html"}, SUBJECT.encode())) as metadata:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # never used: metadata servers are link-local
        s = WorkloadIdentitySettings.from_extra(
            {**IDS, "workload_identity_provider": "gcp", "audience": "https://example.test/aud"},
            environ={"AIRFLOW_OPENAI_GCP_METADATA_URL": f"{metadata.url}/computeMetadata/v1/identity"},
        )
        token = provider_for(s)()
    assert (token.value, token.token_type) == (SUBJECT, SUBJECT_TOKEN_TYPES["id"])
    (seen,) = metadata.seen
    assert seen.headers["metadata-flavor"] == "Google"
    assert seen.query == {"audience": "https://example.test/aud"}


def test_gcp_unreachable_and_empty():
    with StandIn(lambda seen: (200, {}, b"")) as metadata:
        empty = provider_for(settings(workload_identity_provider="gcp", metadata_url=metadata.url))
        with pytest.raises(WorkloadIdentityError, match="GCP metadata server.*empty"):
            empty()
        url = metadata.url
    gone = provider_for(settings(workload_identity_provider="gcp", metadata_url=url))
    with pytest.raises(WorkloadIdentityError, match="could not be reached") as caught:
        gone()
    assert caught.value.transient


def custom_subject_token():
    return SUBJECT


def failing_provider():
    raise RuntimeError(f"leaky failure {SUBJECT}")


def test_custom_callable_by_dotted_path():
    here = __name__
    token = provider_for(
        settings(
            workload_identity_provider="custom",
            token_provider=f"{here}.custom_subject_token",
            token_type="id",
        )
    )()
    assert (token.value, token.token_type) == (SUBJECT, SUBJECT_TOKEN_TYPES["id"])
    colon = provider_for(
        settings(workload_identity_provider="custom", token_provider=f"{here}:custom_subject_token")
    )
    assert colon().token_type == SUBJECT_TOKEN_TYPES["jwt"]


def test_custom_failures_name_the_path_not_the_token():
    missing = provider_for(
        settings(workload_identity_provider="custom", token_provider="no_such_module_xyz.get")
    )
    with pytest.raises(WorkloadIdentityError, match="'no_such_module_xyz.get' cannot be imported"):
        missing()
    failing = provider_for(
        settings(workload_identity_provider="custom", token_provider=f"{__name__}.failing_provider")
    )
    with pytest.raises(WorkloadIdentityError, match="failed .RuntimeError.") as caught:
        failing()
    assert SUBJECT not in str(caught.value) and caught.value.__cause__ is None
    assert caught.value.__suppress_context__
