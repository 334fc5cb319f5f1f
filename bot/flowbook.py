"""The flows this bot can run: the shipped library plus a folder of the facilitators' own.

Rule: a session is tagged with its flow's id and version; the book answers for both, and says
plainly when a stored session's version is no longer available.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flows.loader import load_flow_file, load_library, source_hash
from flows.schema import Flow
from storage.repository import Repository


class FlowMissingError(LookupError):
    """A session refers to a flow id or version this bot no longer has."""


@dataclass(frozen=True, slots=True)
class FlowBook:
    flows: dict[str, Flow]
    hashes: dict[str, str]

    @classmethod
    def load(cls, extra_dir: Path | None = None) -> FlowBook:
        """The library, then `extra_dir/*.yaml` (a facilitator's file may replace a shipped one)."""
        flows = dict(load_library())
        paths = sorted(extra_dir.glob("*.yaml")) if extra_dir is not None else []
        for path in paths:
            flow = load_flow_file(path)
            flows[flow.id] = flow
        hashes = {flow_id: _hash_of(flow) for flow_id, flow in flows.items()}
        return cls(flows, hashes)

    def get(self, flow_id: str, version: int | None = None) -> Flow:
        flow = self.flows.get(flow_id)
        if flow is None or (version is not None and flow.version != version):
            raise FlowMissingError(f"flow {flow_id} v{version} is not available")
        return flow

    def __iter__(self) -> Iterator[Flow]:
        return iter(sorted(self.flows.values(), key=lambda flow: flow.id))

    async def register(self, repo: Repository, at: datetime) -> None:
        for flow in self:
            await repo.register_flow(
                flow.id, flow.version, self.hashes[flow.id], flow.title.resolve("fr", "fr"), at
            )


def _hash_of(flow: Flow) -> str:
    # The model, not the file, is hashed: comments and formatting may change, the content not.
    return source_hash(flow.model_dump_json(by_alias=True))
