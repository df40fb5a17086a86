"""The requests a CPE sends to the ACS before its empty POST (TR-069 A.3.3 and A.4.2).

Each is a small frozen dataclass that knows its method name, the Inform event code that
announces it (if any), the method the ACS must answer with and how to write its arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from lxml import etree

from tests.support.cpe_soap import UNKNOWN_TIME, add, array


@dataclass(frozen=True)
class CpeRequest:
    """A request from the CPE to the ACS; subclasses name the method and write its arguments."""

    method: ClassVar[str] = ""
    event: ClassVar[str | None] = None
    retried: ClassVar[bool] = False  # sent again in later sessions until the ACS accepts it

    @property
    def response(self) -> str:
        """The method name of the ACS's successful answer."""
        return f"{self.method}Response"

    def write(self, element: etree._Element) -> None:
        """Write the request's arguments into its method element."""


def _fault_struct(element: etree._Element, code: int, text: str) -> None:
    """A FaultStruct (TR-069 A.3.3.2): FaultCode 0 and an empty string on success."""
    fault = etree.SubElement(element, "FaultStruct")
    add(fault, "FaultCode", str(code))
    add(fault, "FaultString", text)


@dataclass(frozen=True)
class TransferComplete(CpeRequest):
    """The outcome of a Download or Upload the ACS asked for (TR-069 A.3.3.2)."""

    method: ClassVar[str] = "TransferComplete"
    event: ClassVar[str | None] = "7 TRANSFER COMPLETE"
    retried: ClassVar[bool] = True

    command_key: str = ""
    fault_code: int = 0
    fault_string: str = ""
    start_time: str = UNKNOWN_TIME
    complete_time: str = UNKNOWN_TIME

    def write(self, element: etree._Element) -> None:
        """CommandKey, FaultStruct, StartTime, CompleteTime."""
        add(element, "CommandKey", self.command_key)
        _fault_struct(element, self.fault_code, self.fault_string)
        add(element, "StartTime", self.start_time)
        add(element, "CompleteTime", self.complete_time)


@dataclass(frozen=True)
class AutonomousTransferComplete(CpeRequest):
    """A transfer the CPE did on its own, not asked by the ACS (TR-069 A.3.3.3)."""

    method: ClassVar[str] = "AutonomousTransferComplete"
    event: ClassVar[str | None] = "10 AUTONOMOUS TRANSFER COMPLETE"
    retried: ClassVar[bool] = True

    transfer_url: str = ""
    announce_url: str = ""
    is_download: bool = True
    file_type: str = "1 Firmware Upgrade Image"
    file_size: int = 0
    target_file_name: str = ""
    fault_code: int = 0
    fault_string: str = ""
    start_time: str = UNKNOWN_TIME
    complete_time: str = UNKNOWN_TIME

    def write(self, element: etree._Element) -> None:
        """AnnounceURL, TransferURL, IsDownload, FileType, FileSize, TargetFileName, ..."""
        add(element, "AnnounceURL", self.announce_url)
        add(element, "TransferURL", self.transfer_url)
        add(element, "IsDownload", "1" if self.is_download else "0")
        add(element, "FileType", self.file_type)
        add(element, "FileSize", str(self.file_size))
        add(element, "TargetFileName", self.target_file_name)
        _fault_struct(element, self.fault_code, self.fault_string)
        add(element, "StartTime", self.start_time)
        add(element, "CompleteTime", self.complete_time)


@dataclass(frozen=True)
class RequestDownload(CpeRequest):
    """The CPE asks the ACS to send it a Download of this file type (TR-069 A.4.2.1)."""

    method: ClassVar[str] = "RequestDownload"
    event: ClassVar[str | None] = "9 REQUEST DOWNLOAD"

    file_type: str = "1 Firmware Upgrade Image"
    file_type_args: Sequence[tuple[str, str]] = ()

    def write(self, element: etree._Element) -> None:
        """FileType and a FileTypeArg array of ArgStruct (Name, Value)."""
        add(element, "FileType", self.file_type)
        args = array(element, "FileTypeArg", f"cwmp:ArgStruct[{len(self.file_type_args)}]")
        for name, value in self.file_type_args:
            struct = etree.SubElement(args, "ArgStruct")
            add(struct, "Name", name)
            add(struct, "Value", value)


@dataclass(frozen=True)
class Kicked(CpeRequest):
    """A web page kicked the CPE into a session (TR-069 A.4.2.2)."""

    method: ClassVar[str] = "Kicked"
    event: ClassVar[str | None] = "5 KICKED"

    command: str = ""
    referer: str = ""
    arg: str = ""
    next: str = ""

    def write(self, element: etree._Element) -> None:
        """Command, Referer, Arg, Next."""
        add(element, "Command", self.command)
        add(element, "Referer", self.referer)
        add(element, "Arg", self.arg)
        add(element, "Next", self.next)


@dataclass(frozen=True)
class GetRPCMethods(CpeRequest):
    """The CPE asks which methods the ACS supports (TR-069 A.3.1.1)."""

    method: ClassVar[str] = "GetRPCMethods"
