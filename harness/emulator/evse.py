"""EVSEs, connectors and transactions of the emulated station: state only, no I/O."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from harness.emulator.power_stage import PowerStage


@dataclass
class Connector:
    id: int
    type: str
    operative: bool = True
    plugged: bool = False
    locked: bool = False
    faulted: bool = False
    protection_fault: bool = False  # output protection tripped; cleared when the EV is unplugged
    pilot_driven: bool = False  # plugged by the EV's control pilot (state B), not a bench action
    pending_operative: bool | None = None  # ChangeAvailability scheduled until the tx ends


@dataclass
class Transaction:
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:20])
    seq_no: int = 0
    id_token: dict[str, Any] | None = None
    remote_start_id: int | None = None
    reservation_id: int | None = None  # the reservation it used (H03)
    charging_state: str = "Idle"
    reached: set[str] = field(default_factory=set)  # stop points that have been true
    ending: bool = False
    ended_samples: list[dict[str, Any]] = field(default_factory=list)
    # monotonic times of the last TxUpdatedInterval / TxEndedInterval samples (J02)
    sampled_at: float | None = None
    ended_sampled_at: float | None = None
    # The CSMS answered its idToken not Accepted with StopTxOnInvalidId false (C12, E05):
    # energy flows until this register value (MaxEnergyOnInvalidId), then is withheld.
    invalid_energy_until_wh: float | None = None
    energy_withheld: bool = False

    def next_seq(self) -> int:
        seq = self.seq_no
        self.seq_no += 1
        return seq


@dataclass
class Evse:
    id: int
    connectors: dict[int, Connector]
    power: PowerStage
    operative: bool = True
    id_token: dict[str, Any] | None = None  # authorization held for this EVSE
    remote_start_id: int | None = None
    tx: Transaction | None = None
    connection_timer: asyncio.TimerHandle | None = None
    pending_operative: bool | None = None  # ChangeAvailability scheduled until the tx ends
    last_tx_id: str | None = None
    bay_occupied: bool = False  # the parking bay's vehicle sensor (TxStart/StopPoint ParkingBayOccupancy)

    @property
    def plugged(self) -> Connector | None:
        return next((c for c in self.connectors.values() if c.plugged), None)
