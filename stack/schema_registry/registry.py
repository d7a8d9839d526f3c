"""The Schema Registry's rules: subjects, versions, global ids, deletes, config and mode.

:class:`State` is the in-memory picture of the ``_schemas`` topic and changes only by applying the
topic's records, in order, so a restart rebuilds exactly the same ids and versions. :class:`SchemaRegistryService`
answers every API operation from that state and turns each change into records for the topic; it
decides what to write under one lock, so two registrations can never hand out the same id or
version. Nothing here knows about HTTP: errors are :class:`~.errors.RegistryError` values.

Parsing a schema and checking compatibility are CPU work that grows with the schema (a 20,000-field
record takes a good fraction of a second), so both run in worker threads, never on the event loop
that answers every other request; each stored schema is parsed once and kept.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from stack.schema_registry import compatibility, json_compatibility, json_schemas, schema_types
from stack.schema_registry.compatibility import Level
from stack.schema_registry.errors import Errors, RegistryError
from stack.schema_registry.requests import ConfigRequest, ModeRequest, RegisterRequest, version_number
from stack.schema_registry.schemas import AVRO, ParsedSchema, Reference, Resolver, SchemaText
from stack.schema_registry.storage import (
    ConfigRecord,
    DeleteSubjectRecord,
    ModeRecord,
    Record,
    SchemaRecord,
    SchemaTombstone,
)

DEFAULT_MODE = "READWRITE"
_READ_ONLY_MODES = ("READONLY", "READONLY_OVERRIDE")
log = logging.getLogger("schema-registry")
_SIGNED_DIGITS = re.compile(r"-?[0-9]{1,10}")
T = TypeVar("T")
# What Confluent answers when a new schema's type differs from an earlier version's.
_DIFFERENT_TYPES = "Incompatible because of different schema type"


@dataclass(frozen=True)
class Version:
    """One version of a subject, pointing at a global schema id."""

    subject: str
    number: int
    schema_id: int
    deleted: bool


class State:
    """What the ``_schemas`` topic says, rebuilt by :meth:`apply` from its records in order."""

    def __init__(self) -> None:
        self.subjects: dict[str, dict[int, Version]] = {}
        self.schemas: dict[int, SchemaText] = {}
        self.configs: dict[str | None, dict[str, Any]] = {}
        self.modes: dict[str | None, str] = {}
        self.max_id = 0

    def apply(self, record: Record) -> None:
        if isinstance(record, SchemaRecord):
            self.schemas.setdefault(record.schema_id, SchemaText(record.schema, record.schema_type, record.references))
            self.subjects.setdefault(record.subject, {})[record.version] = Version(
                record.subject, record.version, record.schema_id, record.deleted
            )
            self.max_id = max(self.max_id, record.schema_id)
        elif isinstance(record, SchemaTombstone):
            versions = self.subjects.get(record.subject, {})
            removed = versions.pop(record.version, None)
            if not versions:
                self.subjects.pop(record.subject, None)
            if removed is not None and not any(v.schema_id == removed.schema_id for v in self.all_versions()):
                self.schemas.pop(removed.schema_id, None)
        elif isinstance(record, DeleteSubjectRecord):
            versions = self.subjects.get(record.subject, {})
            for number, version in versions.items():
                if number <= record.version:
                    versions[number] = Version(version.subject, number, version.schema_id, True)
        elif isinstance(record, ConfigRecord):
            if record.config is None:
                self.configs.pop(record.subject, None)
            else:
                self.configs[record.subject] = record.config
        elif record.mode is None:
            self.modes.pop(record.subject, None)
        else:
            self.modes[record.subject] = record.mode

    def all_versions(self) -> Iterable[Version]:
        for versions in self.subjects.values():
            yield from versions.values()

    def visible(self, subject: str, deleted: bool) -> list[Version]:
        """A subject's versions, oldest first; soft-deleted ones only when ``deleted``."""
        versions = self.subjects.get(subject, {})
        return [versions[n] for n in sorted(versions) if deleted or not versions[n].deleted]


class Store(Protocol):
    """Where records go: :class:`~.storage.SchemasTopic`, which applies them to the state once read back."""

    async def write(self, *records: Record) -> None: ...


class SchemaRegistryService:
    """Every Schema Registry operation, over a :class:`State` kept current by a :class:`Store`."""

    def __init__(self, state: State, store: Store) -> None:
        self.state = state
        self.store = store
        self._lock = asyncio.Lock()
        self._parsed: dict[SchemaText, ParsedSchema | None] = {}
        self._workers = ThreadPoolExecutor(2, "schema-parser")

    # -- subjects and versions ------------------------------------------------------------------

    def subjects(self, prefix: str, deleted: bool, deleted_only: bool) -> list[str]:
        result = []
        for subject in sorted(self.state.subjects):
            versions = self.state.visible(subject, deleted=True)
            has_live = any(not v.deleted for v in versions)
            has_deleted = any(v.deleted for v in versions)
            wanted = has_deleted if deleted_only else (has_live or (deleted and has_deleted))
            if wanted and subject.startswith(prefix):
                result.append(subject)
        return result

    def versions(self, subject: str, deleted: bool, deleted_only: bool) -> list[int]:
        visible = self.state.visible(subject, deleted=deleted or deleted_only)
        if not visible:
            raise _subject_not_found(subject)
        return [v.number for v in visible if v.deleted or not deleted_only]

    def version(self, subject: str, version_id: str, deleted: bool) -> dict[str, Any]:
        return self._describe(self._find(subject, version_id, deleted))

    def version_schema(self, subject: str, version_id: str, deleted: bool) -> str:
        return self.state.schemas[self._find(subject, version_id, deleted).schema_id].text

    def referenced_by(self, subject: str, version_id: str) -> list[int]:
        found = self._find(subject, version_id, deleted=True)
        return self._referrers(found.subject, found.number)

    def require_subject(self, subject: str, deleted: bool) -> None:
        """40401 unless ``subject`` has versions (soft-deleted ones only when ``deleted``)."""
        if not self.state.visible(subject, deleted):
            raise _subject_not_found(subject)

    async def lookup(self, subject: str, schema: SchemaText, normalize: bool, deleted: bool) -> dict[str, Any]:
        self.require_subject(subject, deleted)
        parsed = await self._parse(schema)
        match = await self._match(subject, parsed, normalize or self._normalizes(subject), deleted)
        if match is None:
            raise RegistryError(Errors.SCHEMA_NOT_FOUND)
        return self._describe(match)

    async def register(self, request: RegisterRequest, normalize: bool) -> dict[str, Any]:
        subject, requested_id, requested_version = request.subject, request.schema_id, request.version
        async with self._lock:
            mode = self._mode(subject)
            if mode in _READ_ONLY_MODES:
                raise RegistryError(Errors.OPERATION_NOT_PERMITTED, f"Subject '{subject}' is in read-only mode")
            parsed = await self._parse(request.schema)
            normalize = normalize or self._normalizes(subject)
            existing = await self._match(subject, parsed, normalize, deleted=False)
            if existing is not None and requested_id in (None, existing.schema_id):
                return {"id": existing.schema_id}
            if mode == "IMPORT":
                schema_id, number = await self._import_target(
                    subject, parsed, normalize, requested_id, requested_version
                )
            else:
                schema_id = await self._id_for(parsed, normalize)
                if requested_id not in (None, schema_id):
                    raise RegistryError(
                        Errors.OPERATION_NOT_PERMITTED,
                        f"Subject '{subject}' is not in import mode, so the registry assigns schema ids",
                    )
                problems = await self._problems(subject, parsed, self._level(subject))
                if problems:
                    raise RegistryError(
                        Errors.INCOMPATIBLE_SCHEMA,
                        f"Schema being registered is incompatible with an earlier schema for subject "
                        f"'{subject}', details: {problems}",
                    )
                number = max(self.state.subjects.get(subject, {}), default=0) + 1
            stored = SchemaText(parsed.text(normalize), parsed.schema_type, parsed.references)
            await self.store.write(
                SchemaRecord(subject, number, schema_id, stored.text, stored.schema_type, stored.references)
            )
            if not normalize:  # the canonical text parses to the same forms: no need to parse it again
                self._parsed.setdefault(stored, parsed)
            log.info("Registered schema %d as version %d of subject '%s'", schema_id, number, subject)
            return {"id": schema_id}

    async def delete_version(self, subject: str, version_id: str, permanent: bool) -> int:
        number = version_number(version_id)
        async with self._lock:
            self._check_writable(subject)
            versions = self.state.subjects.get(subject)
            if not versions:
                raise _subject_not_found(subject)
            if number is None:
                live = [n for n, v in versions.items() if not v.deleted]
                number = max(versions if permanent or not live else live)
            found = versions.get(number)
            if found is None:
                raise _version_not_found(number)
            if found.deleted and not permanent:
                raise RegistryError(
                    Errors.VERSION_SOFT_DELETED,
                    f"Version {number} of subject '{subject}' was soft deleted; "
                    "set permanent=true to delete it for good",
                )
            if permanent and not found.deleted:
                raise RegistryError(
                    Errors.VERSION_NOT_SOFT_DELETED,
                    f"Version {number} of subject '{subject}' must be soft deleted before it is deleted permanently",
                )
            self._check_unreferenced(subject, [number])
            if permanent:
                records: list[Record] = [SchemaTombstone(subject, number)]
                if len(versions) == 1:
                    records += self._subject_settings_tombstones(subject)
            else:
                stored = self.state.schemas[found.schema_id]
                records = [
                    SchemaRecord(
                        subject, number, found.schema_id, stored.text, stored.schema_type, stored.references, True
                    )
                ]
            await self.store.write(*records)
            log.info("Deleted version %d of subject '%s'%s", number, subject, " for good" if permanent else "")
            return number

    async def delete_subject(self, subject: str, permanent: bool) -> list[int]:
        async with self._lock:
            self._check_writable(subject)
            versions = self.state.visible(subject, deleted=True)
            if not versions:
                raise _subject_not_found(subject)
            live = [v.number for v in versions if not v.deleted]
            if permanent:
                if live:
                    raise RegistryError(
                        Errors.SUBJECT_NOT_SOFT_DELETED,
                        f"Subject '{subject}' must be soft deleted before it is deleted permanently",
                    )
                numbers = [v.number for v in versions]
                self._check_unreferenced(subject, numbers)
                tombstones = [SchemaTombstone(subject, n) for n in reversed(numbers)]
                await self.store.write(*tombstones, *self._subject_settings_tombstones(subject))
                log.info("Deleted subject '%s' for good (versions %s)", subject, numbers)
                return numbers
            if not live:
                raise RegistryError(
                    Errors.SUBJECT_SOFT_DELETED,
                    f"Subject '{subject}' was soft deleted; set permanent=true to delete it for good",
                )
            self._check_unreferenced(subject, live)
            await self.store.write(DeleteSubjectRecord(subject, max(live)))
            log.info("Deleted subject '%s' (versions %s); its ids still decode", subject, live)
            return live

    # -- schemas by id --------------------------------------------------------------------------

    def schema(self, schema_id: str, fetch_max_id: bool) -> dict[str, Any]:
        stored = self._stored(schema_id)
        body: dict[str, Any] = {"schema": stored.text}
        body.update(_type_and_references(stored))
        if fetch_max_id:
            body["maxId"] = self.state.max_id
        return body

    def schema_text(self, schema_id: str) -> str:
        return self._stored(schema_id).text

    def schema_versions(self, schema_id: str, subject: str | None, deleted: bool) -> list[dict[str, Any]]:
        """Every subject version that uses ``schema_id`` (40403 when no schema has that id)."""
        self._stored(schema_id)
        number = int(schema_id)
        return [
            {"subject": v.subject, "version": v.number}
            for v in sorted(self.state.all_versions(), key=lambda v: (v.subject, v.number))
            if v.schema_id == number and (deleted or not v.deleted) and subject in (None, v.subject)
        ]

    def schema_subjects(self, schema_id: str, subject: str | None, deleted: bool) -> list[str]:
        return sorted({entry["subject"] for entry in self.schema_versions(schema_id, subject, deleted)})

    def all_schemas(self, prefix: str, deleted: bool, latest_only: bool) -> list[dict[str, Any]]:
        result = []
        for subject in sorted(self.state.subjects):
            if not subject.startswith(prefix):
                continue
            versions = self.state.visible(subject, deleted)
            result += [self._describe(v) for v in (versions[-1:] if latest_only else versions)]
        return result

    # -- compatibility --------------------------------------------------------------------------

    async def check_compatibility(
        self, subject: str, version_id: str | None, schema: SchemaText, normalize: bool, verbose: bool
    ) -> dict[str, Any]:
        """Whether ``schema`` could follow ``version_id`` (or, when None, the subject's versions)."""
        if version_id is not None:
            version_number(version_id)
        parsed = await self._parse(schema)
        level = self._level(subject)
        if version_id is None:
            problems = await self._problems(subject, parsed, level)
        else:
            old = self._find(subject, version_id, deleted=False)
            problems = await self._problems_against(level, parsed, [old])
        answer: dict[str, Any] = {"is_compatible": not problems}
        if verbose:
            answer["messages"] = problems
        return answer

    # -- config and mode ------------------------------------------------------------------------

    def config(self, subject: str | None, default_to_global: bool) -> dict[str, Any]:
        if subject is not None and subject in self.state.configs:
            return dict(self.state.configs[subject])
        if subject is not None and not default_to_global:
            raise RegistryError(
                Errors.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                f"Subject '{subject}' does not have subject-level compatibility configured",
            )
        return {"compatibilityLevel": compatibility.DEFAULT_LEVEL.value, **self.state.configs.get(None, {})}

    async def set_config(self, request: ConfigRequest) -> dict[str, Any]:
        """Change the settings the request names (none at all is allowed, as in Confluent 7.4+); echo them."""
        subject, level, normalize = request.subject, request.level, request.normalize
        async with self._lock:
            config = dict(self.state.configs.get(subject, {}))
            answer: dict[str, Any] = {}
            if level is not None:
                config["compatibilityLevel"] = answer["compatibility"] = level.value
            if normalize is not None:
                config["normalize"] = answer["normalize"] = normalize
            await self.store.write(ConfigRecord(subject, config))
            return answer

    async def delete_config(self, subject: str | None) -> dict[str, Any]:
        """Remove a subject's own config (40401 without one) or the global one; answer what it was."""
        async with self._lock:
            if subject is not None and subject not in self.state.configs:
                raise _subject_not_found(subject)
            previous = self.config(subject, default_to_global=True)
            if subject in self.state.configs:
                await self.store.write(ConfigRecord(subject, None))
            return previous

    def mode(self, subject: str | None, default_to_global: bool) -> dict[str, str]:
        if subject is not None and subject in self.state.modes:
            return {"mode": self.state.modes[subject]}
        if subject is not None and not default_to_global:
            raise RegistryError(
                Errors.SUBJECT_MODE_NOT_CONFIGURED,
                f"Subject '{subject}' does not have subject-level mode configured",
            )
        return {"mode": self.state.modes.get(None, DEFAULT_MODE)}

    async def set_mode(self, request: ModeRequest, force: bool) -> dict[str, str]:
        """Set a mode; a request without one clears it (Confluent 7.7.4+). Echoes what was set."""
        subject, mode = request.subject, request.mode
        if mode is None:
            async with self._lock:
                if subject in self.state.modes:
                    await self.store.write(ModeRecord(subject, None))
            return {}
        async with self._lock:
            if mode == "IMPORT" and not force:
                holders = [subject] if subject is not None else list(self.state.subjects)
                if any(self.state.visible(s, deleted=False) for s in holders):
                    raise RegistryError(
                        Errors.OPERATION_NOT_PERMITTED,
                        "Cannot switch to IMPORT mode while schemas are registered; use force=true to do it anyway",
                    )
            await self.store.write(ModeRecord(subject, mode))
            return {"mode": mode}

    async def delete_mode(self, subject: str | None, recursive: bool = False) -> dict[str, str]:
        """Remove a subject's own mode (40401 without one) or the global one, with ``recursive`` every
        subject's too (Confluent 8.0.3+); answer the mode removed."""
        async with self._lock:
            if subject is not None and subject not in self.state.modes:
                raise _subject_not_found(subject)
            previous = self.mode(subject, default_to_global=True)
            scopes = [subject] if subject is not None or not recursive else list(self.state.modes)
            removals = [ModeRecord(scope, None) for scope in scopes if scope in self.state.modes]
            if removals:
                await self.store.write(*removals)
            return previous

    # -- helpers --------------------------------------------------------------------------------

    def _find(self, subject: str, version_id: str, deleted: bool) -> Version:
        number = version_number(version_id)
        visible = self.state.visible(subject, deleted)
        if not visible:
            raise _subject_not_found(subject)
        if number is None:
            return visible[-1]
        for version in visible:
            if version.number == number:
                return version
        raise _version_not_found(number)

    def _describe(self, version: Version) -> dict[str, Any]:
        stored = self.state.schemas[version.schema_id]
        body = {"subject": version.subject, "version": version.number, "id": version.schema_id, "schema": stored.text}
        body.update(_type_and_references(stored))
        return body

    def _resolve(self, reference: Reference) -> SchemaText | None:
        visible = self.state.visible(reference.subject, deleted=True)
        if reference.version == -1:
            visible = [v for v in visible if not v.deleted][-1:]
        for version in visible:
            if reference.version in (-1, version.number):
                return self.state.schemas.get(version.schema_id)
        return None

    async def _off_loop(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in a worker thread, so the event loop keeps answering meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self._workers, functools.partial(work, *args))

    def _resolver(self, references: tuple[Reference, ...]) -> Resolver:
        """The schemas ``references`` need, looked up now: a worker thread must not read the live state."""
        found: dict[Reference, SchemaText | None] = {}
        waiting = list(references)
        while waiting:
            reference = waiting.pop()
            if reference not in found:
                found[reference] = target = self._resolve(reference)
                waiting += target.references if target is not None else ()
        return found.get

    async def _parse(self, source: SchemaText) -> ParsedSchema:
        """Parse a schema a client sent; raises 42201 when it is invalid."""
        pinned = SchemaText(source.text, source.schema_type, tuple(self._pin(r) for r in source.references))
        known = self._parsed.get(pinned)  # a client often sends back the very text it was given
        if known is not None:
            return known
        return await self._off_loop(schema_types.parse, pinned, self._resolver(pinned.references))

    def _pin(self, reference: Reference) -> Reference:
        """A reference to "latest" (-1) becomes one to the version that is latest now, as Confluent stores it."""
        if reference.version != -1:
            return reference
        live = self.state.visible(reference.subject, deleted=False)
        return Reference(reference.name, reference.subject, live[-1].number) if live else reference

    async def _stored_parsed(self, stored: SchemaText) -> ParsedSchema | None:
        """A stored schema, parsed once; None for one this registry cannot parse (another type)."""
        if stored not in self._parsed:
            try:
                parsed = await self._off_loop(schema_types.parse, stored, self._resolver(stored.references))
            except RegistryError:
                parsed = None
            self._parsed[stored] = parsed
        return self._parsed[stored]

    async def _match(self, subject: str, parsed: ParsedSchema, normalize: bool, deleted: bool) -> Version | None:
        """The newest version of ``subject`` holding the same schema (live ones first)."""
        candidates = sorted(self.state.visible(subject, deleted), key=lambda v: (not v.deleted, v.number))
        identity = parsed.identity(normalize)
        for version in reversed(candidates):
            stored = await self._stored_parsed(self.state.schemas[version.schema_id])
            if stored is not None and stored.identity(normalize) == identity:
                return version
        return None

    async def _id_for(self, parsed: ParsedSchema, normalize: bool) -> int:
        """The id this schema already has under any subject, or the next free one."""
        identity = parsed.identity(normalize)
        for schema_id, text in sorted(self.state.schemas.items()):
            stored = await self._stored_parsed(text)
            if stored is not None and stored.identity(normalize) == identity:
                return schema_id
        return self.state.max_id + 1

    async def _import_target(
        self, subject: str, parsed: ParsedSchema, normalize: bool, requested_id: int | None, number: int | None
    ) -> tuple[int, int]:
        """Id and version for a registration in IMPORT mode, where the client may choose both."""
        schema_id = await self._id_for(parsed, normalize) if requested_id is None else requested_id
        holder = self.state.schemas.get(schema_id)
        if holder is not None:
            stored = await self._stored_parsed(holder)
            if stored is None or stored.identity(normalize) != parsed.identity(normalize):
                raise RegistryError(
                    Errors.ID_DOES_NOT_MATCH, f"Schema id {schema_id} is already used by a different schema"
                )
        versions = self.state.subjects.get(subject, {})
        if number is None:
            number = max(versions, default=0) + 1
        elif number in versions:
            raise RegistryError(
                Errors.OPERATION_NOT_PERMITTED, f"Version {number} of subject '{subject}' already exists"
            )
        return schema_id, number

    async def _problems(self, subject: str, parsed: ParsedSchema, level: Level) -> list[str]:
        """What stops ``parsed`` from following the subject's live versions (the latest, or all if transitive)."""
        live = self.state.visible(subject, deleted=False)
        targets = live if level.transitive else live[-1:]
        return await self._problems_against(level, parsed, targets)

    async def _problems_against(self, level: Level, parsed: ParsedSchema, versions: list[Version]) -> list[str]:
        if level is Level.NONE:
            return []
        problems: list[str] = []
        for version in versions:
            old = await self._stored_parsed(self.state.schemas[version.schema_id])
            if old is None or old.schema_type != parsed.schema_type:
                problems.append(_DIFFERENT_TYPES)
            else:
                problems += await self._off_loop(_compatibility_problems, level, parsed, old, version.number)
        return problems

    def _level(self, subject: str) -> Level:
        for scope in (subject, None):
            level = compatibility.parse_level(self.state.configs.get(scope, {}).get("compatibilityLevel"))
            if level is not None:
                return level
        return compatibility.DEFAULT_LEVEL

    def _normalizes(self, subject: str) -> bool:
        for scope in (subject, None):
            normalize = self.state.configs.get(scope, {}).get("normalize")
            if isinstance(normalize, bool):
                return normalize
        return False

    def _mode(self, subject: str) -> str:
        return self.state.modes.get(subject) or self.state.modes.get(None) or DEFAULT_MODE

    def _check_writable(self, subject: str) -> None:
        if self._mode(subject) in _READ_ONLY_MODES:
            raise RegistryError(Errors.OPERATION_NOT_PERMITTED, f"Subject '{subject}' is in read-only mode")

    def _referrers(self, subject: str, number: int) -> list[int]:
        """Ids of live schemas whose references point at ``subject`` version ``number``."""
        live_ids = {v.schema_id for v in self.state.all_versions() if not v.deleted}
        return sorted(
            schema_id
            for schema_id, stored in self.state.schemas.items()
            if schema_id in live_ids and any(r.subject == subject and r.version == number for r in stored.references)
        )

    def _check_unreferenced(self, subject: str, numbers: list[int]) -> None:
        for number in numbers:
            referrers = self._referrers(subject, number)
            if referrers:
                raise RegistryError(
                    Errors.REFERENCE_EXISTS,
                    f"Version {number} of subject '{subject}' is referenced by schema(s) {referrers}",
                )

    def _subject_settings_tombstones(self, subject: str) -> list[Record]:
        records: list[Record] = []
        if subject in self.state.configs:
            records.append(ConfigRecord(subject, None))
        if subject in self.state.modes:
            records.append(ModeRecord(subject, None))
        return records

    def _stored(self, schema_id: str) -> SchemaText:
        stored = self.state.schemas.get(self._id_number(schema_id))
        if stored is None:
            raise RegistryError(Errors.SCHEMA_NOT_FOUND, f"Schema {schema_id} not found")
        return stored

    def _id_number(self, schema_id: str) -> int:
        if not _SIGNED_DIGITS.fullmatch(schema_id):
            raise RegistryError(Errors.SCHEMA_NOT_FOUND, f"Schema {schema_id} not found")
        return int(schema_id)


def _compatibility_problems(level: Level, new: ParsedSchema, old: ParsedSchema, number: int) -> list[str]:
    """Check ``new`` against version ``number`` (``old``); runs in a worker thread, as building the
    avro objects parses both schemas again. An invalid new schema raises 42201."""
    if new.schema_type == json_schemas.JSON:
        return json_compatibility.pair_problems(level, _json_document(new), _json_document(old), number, old.canonical)
    new_schema = new.avro
    try:
        old_schema = old.avro
    except RegistryError:
        return [f"version {number} cannot be parsed for a compatibility check"]
    return compatibility.check(level, new_schema, [old_schema])


def _json_document(parsed: ParsedSchema) -> json_compatibility.Document:
    return json_compatibility.Document(json_schemas.document_of(parsed), json_schemas.referenced_documents(parsed))


def _type_and_references(stored: SchemaText) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if stored.schema_type != AVRO:
        extra["schemaType"] = stored.schema_type
    if stored.references:
        extra["references"] = [reference.to_json() for reference in stored.references]
    return extra


def _subject_not_found(subject: str) -> RegistryError:
    return RegistryError(Errors.SUBJECT_NOT_FOUND, f"Subject '{subject}' not found.")


def _version_not_found(number: int) -> RegistryError:
    return RegistryError(Errors.VERSION_NOT_FOUND, f"Version {number} not found.")
