"""The shapes the gitlab source expects of GitLab REST API v4 answers.

Written by hand from GitLab's API documentation (merge requests, approvals,
MR commits and diffs, deployments and their merge requests, issues,
pipelines, group projects, DORA metrics): exactly the fields the source
reads, with their types, so :mod:`guardrails.sources.gitlab_facts` can index
them without guarding every access (see :mod:`guardrails.sources.http_shapes`
for how a shape is checked and what an error names). Kept apart from the
GitHub and PagerDuty shapes so each source's file stays readable.
"""

from __future__ import annotations

from typing import Any

from guardrails.sources.http_shapes import (
    COUNT_OR_NULL,
    ID,
    SHA,
    STR,
    STR_OR_NULL,
    TS,
    TS_OR_NULL,
    Shape,
)

SHA_OR_NULL: dict[str, Any] = {"anyOf": [SHA, {"type": "null"}]}
USER: dict[str, Any] = {"type": ["object", "null"], "properties": {"username": STR_OR_NULL}}
# A project path: what GitLab allows in namespaces and project paths, nothing a URL escapes.
PROJECT_PATH: dict[str, Any] = {
    "type": "string", "pattern": r"^(?!.*\.\.)[A-Za-z0-9_.][A-Za-z0-9_./-]{0,254}$"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required),
            "properties": {**required, **(optional or {})}}


GL_PROJECT = Shape("project", _object(
    {"id": ID, "path_with_namespace": PROJECT_PATH},
    {"archived": {"type": ["boolean", "null"]}}))
GL_MR = Shape("merge request", _object(
    {"iid": ID, "created_at": TS, "updated_at": TS},
    {"merged_at": TS_OR_NULL, "title": STR_OR_NULL, "author": USER, "state": STR_OR_NULL,
     "merge_commit_sha": SHA_OR_NULL, "squash_commit_sha": SHA_OR_NULL, "sha": SHA_OR_NULL,
     "web_url": STR_OR_NULL}))
GL_APPROVALS = Shape("merge request approvals", _object(
    {"approved_by": {"type": "array", "maxItems": 10_000, "items": _object(
        {"user": {"type": "object", "required": ["username"],
                  "properties": {"username": STR}}})}}))
GL_MR_COMMIT = Shape("commit", _object(
    {"id": SHA}, {"authored_date": TS_OR_NULL, "created_at": TS_OR_NULL}))
GL_DIFF = Shape("diff", _object(
    {"diff": {"type": "string"}},
    {"too_large": {"type": ["boolean", "null"]}, "collapsed": {"type": ["boolean", "null"]},
     "new_path": STR_OR_NULL}))
GL_DEPLOYMENT = Shape("deployment", _object(
    {"id": ID, "iid": ID, "created_at": TS, "status": STR},
    {"updated_at": TS_OR_NULL, "finished_at": TS_OR_NULL, "sha": SHA_OR_NULL,
     "ref": STR_OR_NULL, "user": USER,
     "environment": {"type": ["object", "null"],
                     "properties": {"name": STR_OR_NULL, "tier": STR_OR_NULL,
                                    "external_url": STR_OR_NULL}},
     "deployable": {"type": ["object", "null"],
                    "properties": {"web_url": STR_OR_NULL}}}))
GL_DEPLOYMENT_MR = Shape("merge request", _object(
    {"iid": ID}, {"merge_commit_sha": SHA_OR_NULL, "squash_commit_sha": SHA_OR_NULL}))
GL_ISSUE = Shape("incident issue", _object(
    {"iid": ID, "created_at": TS},
    {"closed_at": TS_OR_NULL, "state": STR_OR_NULL, "title": STR_OR_NULL,
     "description": STR_OR_NULL, "web_url": STR_OR_NULL, "issue_type": STR_OR_NULL,
     "severity": STR_OR_NULL,
     "labels": {"type": ["array", "null"], "maxItems": 1000, "items": {"anyOf": [
         STR, {"type": "object", "properties": {"name": STR_OR_NULL}}]}}}))
GL_PIPELINE_LISTED = Shape("pipeline", _object(
    {"id": ID, "status": STR}, {"created_at": TS_OR_NULL, "updated_at": TS_OR_NULL}))
GL_PIPELINE = Shape("pipeline", _object(
    {"id": ID, "status": STR},
    {"created_at": TS_OR_NULL, "started_at": TS_OR_NULL, "finished_at": TS_OR_NULL,
     "updated_at": TS_OR_NULL, "duration": {"type": ["number", "null"], "minimum": 0},
     "ref": STR_OR_NULL, "sha": SHA_OR_NULL, "source": STR_OR_NULL,
     "web_url": STR_OR_NULL}))
GL_DORA_POINT = Shape("DORA metric value", _object(
    {"value": {"type": ["number", "null"]}}, {"date": STR_OR_NULL}))

__all__ = ["COUNT_OR_NULL", "GL_APPROVALS", "GL_DEPLOYMENT", "GL_DEPLOYMENT_MR", "GL_DIFF",
           "GL_DORA_POINT", "GL_ISSUE", "GL_MR", "GL_MR_COMMIT", "GL_PIPELINE",
           "GL_PIPELINE_LISTED", "GL_PROJECT"]
