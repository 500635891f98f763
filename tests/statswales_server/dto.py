"""The JSON documents of GET /{id} and GET /{id}/query/{filterId}, and the stored query itself.

Paths are relative to the backend's ``src`` (statswales-backend commit 25ea7888).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .model import LOCALE, Cube
from .rules import Plan
from .wire import jsonb

# nanoid customAlphabet (repositories/query-store.ts L17): 12 characters from this alphabet.
FILTER_ID_ALPHABET = "1234567890abcdefghjklmnpqrstuvwxy"

# DEFAULT_DATA_OPTIONS (dtos/data-options-dto.ts L63-70): what GET /{id}/data without a filter uses.
DEFAULT_DATA_OPTIONS: dict[str, Any] = {
    "filters": [],
    "options": {"use_raw_column_names": True, "use_reference_values": True, "data_value_type": "raw"},
}


def request_hash(cube: Cube, options: dict[str, Any]) -> str:
    """generateHash (repositories/query-store.ts L19-24): sha256 of `datasetId:revisionId:JSON`."""
    body = json.dumps(options, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{cube.dataset_id}:{cube.revision_id}:{body}".encode()).hexdigest()


def filter_id_for(full_hash: str) -> str:
    """A 12-character id in nanoid's alphabet. The backend draws it at random once and then finds
    the entry again by hash (getByRequest L187-197); deriving it from the hash is equivalent."""
    digest = hashlib.sha256(full_hash.encode()).digest()
    return "".join(FILTER_ID_ALPHABET[b % len(FILTER_ID_ALPHABET)] for b in digest[:12])


def iso_now() -> str:
    """`new Date().toISOString()`."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass
class StoredQuery:
    """A query_store row (entities/query-store.ts): built once per request hash."""

    id: str
    hash: str
    dataset_id: str
    revision_id: str
    request_object: dict[str, Any]
    plans: dict[str, Plan]  # 'en' / 'cy'
    total_lines: int
    column_mapping: list[dict[str, str]]
    created_at: str
    updated_at: str

    def dto(self) -> dict[str, Any]:
        """QueryStoreDto.fromQueryStore (dtos/query-store-dto.ts L17-30). request_object, query and
        column_mapping are jsonb columns, so their keys come back in jsonb order."""
        return {
            "id": self.id,
            "hash": self.hash,
            "datasetId": self.dataset_id,
            "revisionId": self.revision_id,
            "requestObject": jsonb(self.request_object),
            "query": jsonb({LOCALE[lang]: plan.sql for lang, plan in self.plans.items()}),
            "totalLines": self.total_lines,
            "columnMapping": jsonb(self.column_mapping),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


def dataset_dto(cube: Cube, language: str) -> dict[str, Any]:
    """GET /{id}: ConsumerDatasetDTO.fromDataset (dtos/consumer-dataset-dto.ts L25-55), called by
    getPublishedDatasetById (controllers/consumer-v2.ts L81-94) with the `withPublishedRevision`
    relations (repositories/published-dataset.ts L41-50). Those relations load neither dimensions
    nor revisions, so neither key is present; revision metadata carries every language."""
    dto: dict[str, Any] = {"id": cube.dataset_id, "first_published_at": cube.first_published_at}
    if cube.archived_at:
        dto["archived_at"] = cube.archived_at
    if cube.replaced_by:
        titles = cube.replaced_by.get("dataset_title") or {}
        title = (
            titles.get("cy" if language.lower().startswith("cy") else "en")
            if isinstance(titles, dict)
            else titles
        )
        dto["replaced_by"] = {
            "dataset_id": cube.replaced_by["dataset_id"],
            **({"dataset_title": title} if title else {}),
            "auto_redirect": bool(cube.replaced_by.get("auto_redirect", False)),
        }
    dto["published_revision"] = revision_dto(cube)
    if cube.start_date:
        dto["start_date"] = cube.start_date
    if cube.end_date:
        dto["end_date"] = cube.end_date
    if cube.publisher:
        dto["publisher"] = publisher_dto(cube, language)
    return dto


def revision_dto(cube: Cube) -> dict[str, Any]:
    """ConsumerRevisionDTO.fromRevision (dtos/consumer-revision-dto.ts L32-61) for revision 1."""
    return {
        "id": cube.revision_id,
        "revision_index": 1,
        "created_at": cube.first_published_at,
        "updated_at": cube.first_published_at,
        "previous_revision_id": None,
        "publish_at": cube.publish_at,
        "approved_at": cube.first_published_at,
        "rounding_applied": False,
        "update_frequency": None,
        "designation": cube.designation,
        "related_links": [],
        "metadata": [
            {  # RevisionMetadataDTO.fromRevisionMetadata (dtos/revision-metadata-dto.ts L64-75)
                "language": LOCALE[lang],
                "title": cube.title[lang],
                "summary": cube.summary.get(lang),
                "collection": None,
                "quality": None,
                "rounding_description": None,
            }
            for lang in ("en", "cy")
        ],
        "providers": [],
        "topics": [],
    }


def publisher_dto(cube: Cube, language: str) -> dict[str, Any]:
    """PublisherDTO.fromUserGroup / OrganisationDTO.fromOrganisation: names in the request language."""
    pub = cube.publisher
    assert pub is not None
    lang = "cy" if "cy" in language else "en"
    return {
        "group": {"id": pub.group_id, "name": pub.group_name.get(lang, ""), "email": pub.email},
        "organisation": {"id": pub.organisation_id, "name": pub.organisation_name.get(lang)},
    }
