"""The flows this bot can run: the shipped library plus a folder of the facilitators' own.

Rule: a session is tagged with its flow's id and version; the book answers for both. Every version
it registers is kept in the database, so when a facilitator edits a flow (and bumps its version)
the sessions already on the old one finish on it; the book says plainly when a version is
nowhere to be found.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flows.loader import load_flow_file, load_library, source_hash
from flows.schema import Flow
from storage.repository import Repository

log = logging.getLogger(__name__)


class FlowMissingError(LookupError):
    """A session refers to a flow id or version this bot no longer has."""


@dataclass(frozen=True, slots=True)
class FlowBook:
    flows: dict[str, Flow]
    definitions: dict[str, str]  # each flow's validated model as JSON: what is stored and hashed
    # Versions the files no longer carry, read back from the database for the sessions on them.
    earlier: dict[tuple[str, int], Flow] = field(default_factory=dict)

    @classmethod
    def load(cls, extra_dir: Path | None = None) -> FlowBook:
        """The library, then `extra_dir/*.yaml` (a facilitator's file may replace a shipped one)."""
        flows = dict(load_library())
        paths = sorted(extra_dir.glob("*.yaml")) if extra_dir is not None else []
        for path in paths:
            flow = load_flow_file(path)
            flows[flow.id] = flow
        # The model, not the file, is kept and hashed: comments and formatting may change, the
        # content not.
        definitions = {
            flow_id: flow.model_dump_json(by_alias=True) for flow_id, flow in flows.items()
        }
        return cls(flows, definitions)

    def get(self, flow_id: str, version: int | None = None) -> Flow:
        flow = self.flows.get(flow_id)
        if flow is not None and (version is None or flow.version == version):
            return flow
        if version is not None and (flow_id, version) in self.earlier:
            return self.earlier[flow_id, version]
        raise FlowMissingError(f"flow {flow_id} v{version} is not available")

    def ids(self) -> frozenset[str]:
        """The ids a facilitator can open (earlier versions only finish their sessions)."""
        return frozenset(self.flows)

    def __iter__(self) -> Iterator[Flow]:
        return iter(sorted(self.flows.values(), key=lambda flow: flow.id))

    async def register(self, repo: Repository, at: datetime) -> None:
        """Register the current versions, then read back the earlier ones still in use."""
        for flow in self:
            await repo.register_flow(
                flow.id,
                flow.version,
                source_hash(self.definitions[flow.id]),
                flow.title.resolve("fr", "fr"),
                at,
                definition_json=self.definitions[flow.id],
            )
        for flow_id, version, definition in await repo.flow_definitions_in_use():
            key = (flow_id, version)
            current = self.flows.get(flow_id)
            if current is not None and current.version == version:
                continue
            if definition is None:  # registered by a release that did not keep definitions
                log.warning("flow %s v%s is in use but its definition was not kept", *key)
                continue
            try:
                self.earlier[key] = Flow.model_validate_json(definition)
            except ValueError:  # kept by a release whose schema this one no longer reads
                log.warning("flow %s v%s is in use but cannot be read back", *key)
