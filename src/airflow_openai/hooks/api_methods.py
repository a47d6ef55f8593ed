"""The hook's API methods, one per call, grouped by resource.

Each line binds a builder from `client.endpoints`; the `a`-prefixed twins are for
triggers and concurrent fan-out. Sync list methods return iterators that page
through every result; async ones return async iterators. Streamed answers come as a
`ChunkStream` (async: `AsyncChunkStream`) of their chunks.
"""

from __future__ import annotations

from airflow_openai.client.endpoints import (
    batches,
    chat,
    completions,
    embeddings,
    files,
    fine_tuning,
    images,
    models,
    moderations,
    organization,
    runs,
    vector_stores,
)
from airflow_openai.hooks.binding import async_api, sync_api


class InferenceAPI:
    """Chat and text completions (whole, or `stream_*` in chunks), embeddings, moderations, images.

    Bodies are checked as the spec's request models before sending. The calls with files (image
    edits and variations, speech, transcriptions, translations) are in `InferenceFilesMixin`.
    """

    create_chat_completion = sync_api(chat.create_chat_completion)
    stream_chat_completion = sync_api(chat.stream_chat_completion)
    create_completion = sync_api(completions.create_completion)
    stream_completion = sync_api(completions.stream_completion)
    create_embedding = sync_api(embeddings.create_embedding)
    create_moderation = sync_api(moderations.create_moderation)
    create_image = sync_api(images.create_image)

    acreate_chat_completion = async_api(chat.create_chat_completion)
    astream_chat_completion = async_api(chat.stream_chat_completion)
    acreate_completion = async_api(completions.create_completion)
    astream_completion = async_api(completions.stream_completion)
    acreate_embedding = async_api(embeddings.create_embedding)
    acreate_moderation = async_api(moderations.create_moderation)
    acreate_image = async_api(images.create_image)


class FilesAPI:
    list_files = sync_api(files.list_files)
    get_file = sync_api(files.get_file)
    delete_file = sync_api(files.delete_file)
    create_upload = sync_api(files.create_upload)
    create_upload_part = sync_api(files.create_upload_part)
    complete_upload = sync_api(files.complete_upload)
    cancel_upload = sync_api(files.cancel_upload)

    aget_file = async_api(files.get_file)
    acreate_upload_part = async_api(files.create_upload_part)


class BatchesAPI:
    create_batch = sync_api(batches.create_batch)
    get_batch = sync_api(batches.get_batch)
    list_batches = sync_api(batches.list_batches)
    cancel_batch = sync_api(batches.cancel_batch)

    aget_batch = async_api(batches.get_batch)
    acancel_batch = async_api(batches.cancel_batch)


class FineTuningAPI:
    create_fine_tuning_job = sync_api(fine_tuning.create_fine_tuning_job)
    get_fine_tuning_job = sync_api(fine_tuning.get_fine_tuning_job)
    list_fine_tuning_jobs = sync_api(fine_tuning.list_fine_tuning_jobs)
    cancel_fine_tuning_job = sync_api(fine_tuning.cancel_fine_tuning_job)
    list_fine_tuning_events = sync_api(fine_tuning.list_fine_tuning_events)
    list_fine_tuning_checkpoints = sync_api(fine_tuning.list_fine_tuning_checkpoints)

    aget_fine_tuning_job = async_api(fine_tuning.get_fine_tuning_job)
    acancel_fine_tuning_job = async_api(fine_tuning.cancel_fine_tuning_job)
    alist_fine_tuning_events = async_api(fine_tuning.list_fine_tuning_events)


class ModelsAPI:
    list_models = sync_api(models.list_models)
    get_model = sync_api(models.get_model)
    delete_model = sync_api(models.delete_model)

    alist_models = async_api(models.list_models)


class VectorStoresAPI:
    create_vector_store = sync_api(vector_stores.create_vector_store)
    get_vector_store = sync_api(vector_stores.get_vector_store)
    update_vector_store = sync_api(vector_stores.update_vector_store)
    list_vector_stores = sync_api(vector_stores.list_vector_stores)
    delete_vector_store = sync_api(vector_stores.delete_vector_store)
    create_vector_store_file = sync_api(vector_stores.create_vector_store_file)
    get_vector_store_file = sync_api(vector_stores.get_vector_store_file)
    list_vector_store_files = sync_api(vector_stores.list_vector_store_files)
    delete_vector_store_file = sync_api(vector_stores.delete_vector_store_file)
    create_vector_store_file_batch = sync_api(vector_stores.create_vector_store_file_batch)
    get_vector_store_file_batch = sync_api(vector_stores.get_vector_store_file_batch)
    cancel_vector_store_file_batch = sync_api(vector_stores.cancel_vector_store_file_batch)
    list_vector_store_file_batch_files = sync_api(vector_stores.list_vector_store_file_batch_files)

    aget_vector_store = async_api(vector_stores.get_vector_store)
    aget_vector_store_file = async_api(vector_stores.get_vector_store_file)
    aget_vector_store_file_batch = async_api(vector_stores.get_vector_store_file_batch)
    acancel_vector_store_file_batch = async_api(vector_stores.cancel_vector_store_file_batch)


class RunsAPI:
    """The Assistants API: assistants, threads, messages, runs and run steps."""

    create_assistant = sync_api(runs.create_assistant)
    get_assistant = sync_api(runs.get_assistant)
    update_assistant = sync_api(runs.update_assistant)
    list_assistants = sync_api(runs.list_assistants)
    delete_assistant = sync_api(runs.delete_assistant)
    create_thread = sync_api(runs.create_thread)
    get_thread = sync_api(runs.get_thread)
    update_thread = sync_api(runs.update_thread)
    delete_thread = sync_api(runs.delete_thread)
    create_message = sync_api(runs.create_message)
    get_message = sync_api(runs.get_message)
    update_message = sync_api(runs.update_message)
    list_messages = sync_api(runs.list_messages)
    delete_message = sync_api(runs.delete_message)
    create_run = sync_api(runs.create_run)
    create_thread_and_run = sync_api(runs.create_thread_and_run)
    get_run = sync_api(runs.get_run)
    list_runs = sync_api(runs.list_runs)
    update_run = sync_api(runs.update_run)
    cancel_run = sync_api(runs.cancel_run)
    submit_tool_outputs = sync_api(runs.submit_tool_outputs)
    list_run_steps = sync_api(runs.list_run_steps)
    get_run_step = sync_api(runs.get_run_step)

    aget_run = async_api(runs.get_run)
    acancel_run = async_api(runs.cancel_run)


class OrganizationAPI:
    """Admin endpoints: these calls use the connection's admin key, never the project key."""

    list_audit_logs = sync_api(organization.list_audit_logs)
    list_invites = sync_api(organization.list_invites)
    create_invite = sync_api(organization.create_invite)
    get_invite = sync_api(organization.get_invite)
    delete_invite = sync_api(organization.delete_invite)
    list_users = sync_api(organization.list_users)
    get_user = sync_api(organization.get_user)
    update_user = sync_api(organization.update_user)
    delete_user = sync_api(organization.delete_user)
    list_projects = sync_api(organization.list_projects)
    create_project = sync_api(organization.create_project)
    get_project = sync_api(organization.get_project)
    update_project = sync_api(organization.update_project)
    archive_project = sync_api(organization.archive_project)
    list_project_users = sync_api(organization.list_project_users)
    create_project_user = sync_api(organization.create_project_user)
    get_project_user = sync_api(organization.get_project_user)
    update_project_user = sync_api(organization.update_project_user)
    delete_project_user = sync_api(organization.delete_project_user)
    list_project_service_accounts = sync_api(organization.list_project_service_accounts)
    create_project_service_account = sync_api(organization.create_project_service_account)
    get_project_service_account = sync_api(organization.get_project_service_account)
    delete_project_service_account = sync_api(organization.delete_project_service_account)
    list_project_api_keys = sync_api(organization.list_project_api_keys)
    get_project_api_key = sync_api(organization.get_project_api_key)
    delete_project_api_key = sync_api(organization.delete_project_api_key)
