"""The licensed patent-agency registry (CSV `code,name,district`) and the check behind `unlicensed_agency`.

A listing that offers patent agency is lawful only when its seller (or an agency named in it) is a registry
agency; a 5-digit code that is not in the registry, or that belongs to another name, is evidence too.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ahocorasick_rs import AhoCorasick

from core.agency import REGISTRY_COLUMNS, RegisteredAgency
from core.config import ConfigError
from core.settings import data_dir, main_settings

NOT_DECIDED = "no agency registry, unlicensed_agency is not decided"
"""What a command that detects warns when the configured registry cannot be read (the reason follows)."""
_NAME_NOISE = re.compile(r"[\s()（）\[\]【】·.,，\-_]|特殊普通合伙|普通合伙")


def name_key(name: str) -> str:
    """Comparable form of an agency name: NFKC, lower case, without spaces, brackets and partnership notes."""
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", name).lower())


@dataclass(frozen=True, slots=True)
class RegistryCheck:
    """Outcome for one listing. `reason`: licensed, not_in_registry, unknown_code or code_of_other_agency."""

    licensed: bool
    reason: str
    agency: RegisteredAgency | None = None
    code: str | None = None

    @property
    def note(self) -> str:
        """One line for the reviewer, in Chinese like the rest of the evidence."""
        if self.reason == "unknown_code":
            return f"机构代码 {self.code} 不在专利代理机构名录中"
        if self.reason == "code_of_other_agency" and self.agency is not None:
            return f"机构代码 {self.code} 属于 {self.agency.name}，与发布者不符"
        if self.reason == "not_in_registry":
            return "发布者不在专利代理机构名录中"
        return "名录内专利代理机构"


def read_registry(path: Path) -> list[RegisteredAgency]:
    """The rows of a registry CSV (header `code,name,district`), in their order; a ConfigError names the file, the
    line and what is wrong (no such file, not UTF-8, not CSV, a column missing, a code that is not 5 digits)."""
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: registry file not found (set registry.path in config/lantian.yaml)") from exc
    agencies: list[RegisteredAgency] = []
    with handle:
        reader = csv.DictReader(handle)
        try:
            missing = {"code", "name"} - set(reader.fieldnames or ())
            if missing:
                raise ConfigError(f"{path}: header must be {','.join(REGISTRY_COLUMNS)} "
                                  f"(missing {', '.join(sorted(missing))})")
            for row in reader:
                code = (row.get("code") or "").strip()
                name = (row.get("name") or "").strip()
                if not re.fullmatch(r"\d{5}", code) or not name:
                    raise ConfigError(f"{path}: line {reader.line_num}: need a 5-digit code and a name")
                agencies.append(RegisteredAgency(code, name, (row.get("district") or "").strip()))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
        except csv.Error as exc:
            raise ConfigError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from exc
    return agencies


class AgencyRegistry:
    """Lookups by code and by name (exact, or a registry name contained in the seller's name)."""

    def __init__(self, agencies: list[RegisteredAgency], source: str = "<registry>") -> None:
        self.source = source
        self.by_code: dict[str, RegisteredAgency] = {a.code: a for a in agencies}
        self._by_key: dict[str, RegisteredAgency] = {}
        for agency in agencies:
            key = name_key(agency.name)
            if key:
                self._by_key[key] = agency
        self._names = AhoCorasick(list(self._by_key))
        self._agencies = list(self._by_key.values())

    def __len__(self) -> int:
        return len(self.by_code)

    @classmethod
    def load(cls, path: Path) -> AgencyRegistry:
        return cls(read_registry(path), str(path))

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None = None) -> AgencyRegistry:
        """The registry at `registry.path` of config/lantian.yaml. A relative path is read from the data dir
        (`LANTIAN_DATA_DIR`, default data/), where the simulator writes its registry, so a deployment or a test with
        its own data dir reads its own registry."""
        raw = main_settings(settings).registry.path
        if not raw:
            raise ConfigError("config/lantian.yaml: field 'registry.path' is required")
        path = Path(raw) if Path(raw).is_absolute() else data_dir() / raw
        if not path.exists():
            raise ConfigError(f"{path}: registry file not found. For real platforms, set "
                              "registry.path in config/lantian.yaml (or LANTIAN_REGISTRY_PATH) to the CSV "
                              "(code,name,district) of the licensed agencies; the simulator's own is written to "
                              f"{data_dir() / 'simulator' / 'registry.csv'} by `lantian simulator export` (or "
                              "`lantian simulator start`, or `make demo`)")
        return cls.load(path)

    @classmethod
    def problem(cls, settings: dict[str, Any] | None = None) -> str | None:
        """Why the registry of `settings` (default: config/lantian.yaml) cannot be read, or None when it can: a
        command that detects says so before it starts (`NOT_DECIDED`)."""
        try:
            cls.from_settings(settings)
        except ConfigError as exc:
            return str(exc)
        return None

    def find_name(self, name: str) -> RegisteredAgency | None:
        """The registry agency this name is, or contains ("华信知识产权代理有限公司官方店")."""
        key = name_key(name)
        if not key:
            return None
        if key in self._by_key:
            return self._by_key[key]
        best: RegisteredAgency | None = None
        for index, _, _ in self._names.find_matches_as_indexes(key, overlapping=True):
            agency = self._agencies[index]
            if best is None or len(agency.name) > len(best.name):
                best = agency
        return best

    def check(self, names: list[str], codes: list[str]) -> RegistryCheck:
        """Is the advertiser a licensed agency? `names`: seller and agency names shown; `codes`: codes shown.

        A registry name settles it unless a shown code belongs to another registry agency; without one, a code
        must be in the registry (and, when names are shown, belong to one of them).
        """
        named = [agency for agency in (self.find_name(n) for n in names if n) if agency is not None]
        for code in codes:
            agency = self.by_code.get(code)
            if agency is None:
                if not named:
                    return RegistryCheck(False, "unknown_code", code=code)
            elif agency not in named and any(names):
                return RegistryCheck(False, "code_of_other_agency", agency=agency, code=code)
        if named:
            return RegistryCheck(True, "licensed", agency=named[0])
        known = [code for code in codes if code in self.by_code]
        if known:
            return RegistryCheck(True, "licensed", agency=self.by_code[known[0]], code=known[0])
        return RegistryCheck(False, "not_in_registry")


def registry_warning(settings: dict[str, Any] | None = None) -> str | None:
    """The one warning every place that detects gives (the CLI's crawl, capture and complaints, the console's
    complaint form) when the registry of `settings` cannot be read, or None when it can."""
    return warning_about(AgencyRegistry.problem(settings))


def warning_about(problem: str | None) -> str | None:
    """`registry_warning` for a registry already tried: `problem` is why it could not be read (a loaded
    `Detector`'s `registry_problem`, as `lantian detect` has it), None when it could."""
    return f"{NOT_DECIDED}: {problem}" if problem else None
