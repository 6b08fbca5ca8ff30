"""The UDI as Smart Licensing codes spell it (`P:UCCX,S:<SN>,U:<UUID>`). Pure."""

from __future__ import annotations


def udi_text(sn: str, uuid_hex: str) -> str:
    u = uuid_hex
    return f"P:UCCX,S:{sn},U:{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
