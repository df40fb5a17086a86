"""The CPE's answers to every ACS request of TR-069 A.3.2 and A.4.1 that it supports.

``Responder`` is pure: it reads the ACS's request, changes the parameter tree, and notes in
``SessionActions`` what must happen when the session ends (reboot, reset, transfers, a
scheduled Inform); the simulated CPE applies those in ``end_session``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from tests.support.cpe_model import PARAMETER_KEY, ParameterTree, valid
from tests.support.cpe_soap import (
    UNKNOWN_TIME,
    CpeFault,
    Message,
    SimulatorError,
    add,
    array,
    child,
    children,
    describe,
    envelope,
    required,
    serialize,
    text,
    write_fault,
)
from tests.support.cpe_transfers import CONFIG_FILE_TYPES, LOG_FILE_TYPES, Transfer

SUPPORTED_METHODS: Final = (
    "GetRPCMethods",
    "GetParameterNames",
    "GetParameterValues",
    "SetParameterValues",
    "GetParameterAttributes",
    "SetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Reboot",
    "Download",
    "Upload",
    "FactoryReset",
    "ScheduleInform",
)


@dataclass
class SessionActions:
    """What the ACS asked for in a session that takes effect when the session ends."""

    reboot_key: str | None = None
    factory_reset: bool = False
    transfers: list[Transfer] = field(default_factory=list)
    scheduled: list[str] = field(default_factory=list)


def _integer(value: str, low: int = 0, high: int = 2**32 - 1) -> int:
    """An integer argument within bounds, or fault 9003."""
    try:
        number = int(value.strip() or "0")
    except ValueError:
        raise CpeFault(9003) from None
    if not low <= number <= high:
        raise CpeFault(9003)
    return number


def _flag(value: str) -> bool:
    """An xsd:boolean argument."""
    return value.strip().lower() in ("1", "true")


class Responder:
    """Answers ACS requests against one device's parameter tree, in one namespace."""

    def __init__(
        self, tree: ParameterTree, actions: SessionActions, namespace: str, charset: str
    ) -> None:
        self.tree = tree
        self.actions = actions
        self.namespace = namespace
        self.charset = charset

    def respond(self, message: Message) -> tuple[bytes, int | None]:
        """Answer an ACS request; the response and the fault code if it is a fault."""
        if message.method == "Fault" or message.method.endswith("Response"):
            raise SimulatorError(f"expected an ACS request, got {describe(message)}")
        root, body = envelope(self.namespace, message.cwmp_id)
        try:
            self._dispatch(message, body)
        except CpeFault as fault:
            root, body = envelope(self.namespace, message.cwmp_id)
            write_fault(body, self.namespace, fault)
            return serialize(root, self.charset), fault.code
        return serialize(root, self.charset), None

    def _cwmp(self, name: str) -> str:
        """The qualified name of a CWMP element in the session's namespace."""
        return f"{{{self.namespace}}}{name}"

    def _response(self, body: etree._Element, method: str) -> etree._Element:
        """The method's response element in the SOAP Body."""
        return etree.SubElement(body, self._cwmp(f"{method}Response"))

    def _dispatch(self, message: Message, body: etree._Element) -> None:
        """Run the ACS's method, writing its response into the SOAP Body."""
        handler = self._handlers().get(message.method)
        if handler is None:
            raise CpeFault(9000)
        handler(message.element, self._response(body, message.method))

    def _handlers(self) -> dict[str, Callable[[etree._Element, etree._Element], None]]:
        """The handler of each supported method, given the request and its response element."""
        return {
            "GetRPCMethods": self._get_rpc_methods,
            "GetParameterValues": self._get_parameter_values,
            "SetParameterValues": self._set_parameter_values,
            "GetParameterNames": self._get_parameter_names,
            "GetParameterAttributes": self._get_parameter_attributes,
            "SetParameterAttributes": self._set_parameter_attributes,
            "AddObject": self._add_object,
            "DeleteObject": self._delete_object,
            "Reboot": self._reboot,
            "FactoryReset": self._factory_reset,
            "ScheduleInform": self._schedule_inform,
            "Download": self._download,
            "Upload": self._upload,
        }

    def _get_rpc_methods(self, _: etree._Element, response: etree._Element) -> None:
        """GetRPCMethods (A.3.1.1): the methods above."""
        methods = array(response, "MethodList", f"xsd:string[{len(SUPPORTED_METHODS)}]")
        for method in SUPPORTED_METHODS:
            add(methods, "string", method)

    def _get_parameter_values(self, request: etree._Element, response: etree._Element) -> None:
        """GetParameterValues (A.3.2.2): full names, or partial paths ending in '.'."""
        self.parameter_list(response, self._selected(request))

    def _selected(self, request: etree._Element) -> list[str]:
        """The parameters a request's ParameterNames (names or partial paths) stand for."""
        selected: dict[str, None] = {}
        for element in children(required(request, "ParameterNames")):
            selected.update(dict.fromkeys(self.tree.select(element.text or "")))
        return list(selected)

    def parameter_list(self, parent: etree._Element, names: list[str]) -> None:
        """A ParameterList of ParameterValueStruct, each Value with its xsi:type."""
        xsi_type = "{http://www.w3.org/2001/XMLSchema-instance}type"
        items = array(parent, "ParameterList", f"cwmp:ParameterValueStruct[{len(names)}]")
        for name in names:
            value, kind = self.tree.values[name]
            struct = etree.SubElement(items, "ParameterValueStruct")
            add(struct, "Name", name)
            add(struct, "Value", value).set(xsi_type, kind)

    def _set_parameter_values(self, request: etree._Element, response: etree._Element) -> None:
        """SetParameterValues (A.3.2.1), all or nothing, then the ParameterKey."""
        updates: dict[str, str] = {}
        errors: list[tuple[str, int]] = []
        for struct in children(required(request, "ParameterList")):
            name, value = text(struct, "Name"), text(struct, "Value")
            code = self._check_set(name, value)
            if code is None:
                updates[name] = value
            else:
                errors.append((name, code))
        if errors:
            raise CpeFault(9003, errors)
        for name, value in updates.items():
            self.tree.values[name] = (value, self.tree.values[name][1])
        self._set_parameter_key(request)
        add(response, "Status", "0")

    def _check_set(self, name: str, value: str) -> int | None:
        """The SetParameterValuesFault code for setting this parameter, or None if it is fine."""
        if name not in self.tree.values:
            return 9005
        if not self.tree.writable.get(name, False):
            return 9008
        return None if valid(value, self.tree.values[name][1]) else 9007

    def _set_parameter_key(self, request: etree._Element) -> None:
        """Set ParameterKey to the request's, as a successful change must (A.3.2.1)."""
        kind = self.tree.values.get(PARAMETER_KEY, ("", "xsd:string"))[1]
        self.tree.values[PARAMETER_KEY] = (text(request, "ParameterKey"), kind)

    def _get_parameter_names(self, request: etree._Element, response: etree._Element) -> None:
        """GetParameterNames (A.3.2.3) of a path, whole subtree or next level only."""
        path = text(request, "ParameterPath")
        names = self.tree.names_under(path, next_level=_flag(text(request, "NextLevel")))
        items = array(response, "ParameterList", f"cwmp:ParameterInfoStruct[{len(names)}]")
        for name in names:
            info = etree.SubElement(items, "ParameterInfoStruct")
            add(info, "Name", name)
            add(info, "Writable", "1" if self.tree.is_writable(name) else "0")

    def _get_parameter_attributes(self, request: etree._Element, response: etree._Element) -> None:
        """GetParameterAttributes (A.3.2.5): Notification and AccessList per parameter."""
        selected = self._selected(request)
        items = array(response, "ParameterList", f"cwmp:ParameterAttributeStruct[{len(selected)}]")
        for name in selected:
            attributes = self.tree.attributes_of(name)
            struct = etree.SubElement(items, "ParameterAttributeStruct")
            add(struct, "Name", name)
            add(struct, "Notification", str(attributes.notification))
            access = array(struct, "AccessList", f"xsd:string[{len(attributes.access_list)}]")
            for entity in attributes.access_list:
                add(access, "string", entity)

    def _set_parameter_attributes(self, request: etree._Element, _: etree._Element) -> None:
        """SetParameterAttributes (A.3.2.4), all or nothing; 9005 unknown, 9003 bad values."""
        changes: list[tuple[str, int | None, tuple[str, ...] | None]] = []
        for struct in children(required(request, "ParameterList")):
            notification = access = None
            if _flag(text(struct, "NotificationChange")):
                notification = _integer(text(struct, "Notification"), -(2**31), 2**31 - 1)
            if _flag(text(struct, "AccessListChange")):
                entries = child(struct, "AccessList")
                found = [] if entries is None else list(children(entries))
                access = tuple(entry.text or "" for entry in found)
            changes.append((text(struct, "Name"), notification, access))
        self.tree.set_attributes(changes)

    def _add_object(self, request: etree._Element, response: etree._Element) -> None:
        """AddObject (A.3.2.6): a new instance of a multi-instance object, Status 0."""
        number = self.tree.add_instance(text(request, "ObjectName"))
        self._set_parameter_key(request)
        add(response, "InstanceNumber", str(number))
        add(response, "Status", "0")

    def _delete_object(self, request: etree._Element, response: etree._Element) -> None:
        """DeleteObject (A.3.2.7): remove an instance and everything under it, Status 0."""
        self.tree.delete_instance(text(request, "ObjectName"))
        self._set_parameter_key(request)
        add(response, "Status", "0")

    def _reboot(self, request: etree._Element, _: etree._Element) -> None:
        """Reboot (A.3.2.9) once the session ends."""
        self.actions.reboot_key = text(request, "CommandKey")

    def _factory_reset(self, _: etree._Element, __: etree._Element) -> None:
        """FactoryReset (A.4.1.6) once the session ends."""
        self.actions.factory_reset = True

    def _schedule_inform(self, request: etree._Element, _: etree._Element) -> None:
        """ScheduleInform (A.4.1.4): DelaySeconds must be positive; no waiting is simulated."""
        if _integer(text(request, "DelaySeconds")) == 0:
            raise CpeFault(9003)
        self.actions.scheduled.append(text(request, "CommandKey"))

    def _download(self, request: etree._Element, response: etree._Element) -> None:
        """Download (A.3.2.8): accepted, carried out after the session (Status 1)."""
        url, file_type = text(request, "URL").strip(), text(request, "FileType").strip()
        if not url or not file_type:
            raise CpeFault(9003)
        self.actions.transfers.append(
            Transfer(
                kind="Download",
                command_key=text(request, "CommandKey"),
                file_type=file_type,
                url=url,
                username=text(request, "Username"),
                password=text(request, "Password"),
                file_size=_integer(text(request, "FileSize")),
                target_file_name=text(request, "TargetFileName"),
                delay_seconds=_integer(text(request, "DelaySeconds")),
                success_url=text(request, "SuccessURL"),
                failure_url=text(request, "FailureURL"),
            )
        )
        self._pending_transfer(response)

    def _upload(self, request: etree._Element, response: etree._Element) -> None:
        """Upload (A.4.1.5) of a configuration or log file, after the session (Status 1)."""
        url, file_type = text(request, "URL").strip(), text(request, "FileType").strip()
        if not url or not file_type.startswith((*CONFIG_FILE_TYPES, *LOG_FILE_TYPES)):
            raise CpeFault(9003)
        self.actions.transfers.append(
            Transfer(
                kind="Upload",
                command_key=text(request, "CommandKey"),
                file_type=file_type,
                url=url,
                username=text(request, "Username"),
                password=text(request, "Password"),
                delay_seconds=_integer(text(request, "DelaySeconds")),
            )
        )
        self._pending_transfer(response)

    def _pending_transfer(self, response: etree._Element) -> None:
        """Status 1 (to be reported by TransferComplete) with the Unknown Times."""
        add(response, "Status", "1")
        add(response, "StartTime", UNKNOWN_TIME)
        add(response, "CompleteTime", UNKNOWN_TIME)
