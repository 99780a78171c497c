"""Reading Debian data packages with Python alone, and each sound's licence from the package's own words.

Why by hand: a .deb is an `ar` archive whose `data.tar.*` member Python's tarfile reads (xz, gz, bz2), so
fetching a corpus needs neither root, nor dpkg, nor an unpacked tree on disk; `dpkg-deb` is used only for
zstd members, which Python's tarfile cannot read. Nothing is installed and nothing is written: the
members a reader wants are held in memory.

A file's licence is decided from two sources, never guessed from a package's reputation:

1. the package's `debian/copyright` (DEP-5). Debian's rule is that the *last* `Files:` paragraph matching
   a path applies; packagers write general paragraphs first and exceptions after, so the last match is
   also the most specific one. (One package, openclonk-data, has a free-form one; its reader checks the
   one sentence that covers the game's content, CC BY 3.0 or CC0, and refuses the package if it changes);
2. where the package names each file's author and licence in its own files (minetest's per-mod
   `README.txt`, OpenSFX's entry names, OpenClonk's `authors.txt`), that statement, which names the file
   itself and so is more specific than any glob.

A file whose debian/copyright licence is not one we accept (GPL, MIT, …) is excluded whatever its
per-file statement says, so a disagreement can only ever remove a file, and so is a per-file statement
that is not accepted. Accepted: CC0, public domain, CC-BY-3.0/4.0, CC-BY-SA-3.0/4.0.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import lzma
import re
import shutil
import struct
import subprocess
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from foleykit.errors import BadInputError

# ---------------------------------------------------------------------------------------------- licences

ACCEPTED = ("CC0-1.0", "public-domain", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0")
LICENCE_URLS = {
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "public-domain": "https://creativecommons.org/publicdomain/mark/1.0/",
    "CC-BY-3.0": "https://creativecommons.org/licenses/by/3.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
}
LICENCE_NAMES = {
    "CC0-1.0": "CC0 1.0 Universal (public domain dedication)",
    "public-domain": "public domain",
    "CC-BY-3.0": "Creative Commons Attribution 3.0 Unported",
    "CC-BY-4.0": "Creative Commons Attribution 4.0 International",
    "CC-BY-SA-3.0": "Creative Commons Attribution-ShareAlike 3.0 Unported",
    "CC-BY-SA-4.0": "Creative Commons Attribution-ShareAlike 4.0 International",
}
# how much a licence asks of whoever reuses the work: an "and" of licences asks the most of them
_RESTRICTION = {"CC0-1.0": 0, "public-domain": 0, "CC-BY-3.0": 1, "CC-BY-4.0": 1, "CC-BY-SA-3.0": 2}
_RESTRICTION["CC-BY-SA-4.0"] = 2

_CC = r"(?:cc|creative[\s-]+commons)"
_LICENCE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b{_CC}[\s-]*0\b|\bcc0\b|\bcreative[\s-]+commons[\s-]+zero\b"), "CC0-1.0"),
    (re.compile(r"\bpublic[\s-]+domain\b|^pd$"), "public-domain"),
    (re.compile(rf"\b{_CC}[\s-]*(?:by|attribution)[\s-]*(?:sa|sharealike|share[\s-]+alike)[\s-]*v?(\d)"), "CC-BY-SA"),
    (re.compile(rf"\b{_CC}[\s-]*(?:by|attribution)[\s-]*v?(\d)"), "CC-BY"),
)  # fmt: skip
_NON_FREE_CC = re.compile(r"\b(?:nc|nd|noncommercial|non-commercial|noderivs|sampling)\b")
# other licence families: a phrase that names one of them besides a CC licence is not a CC grant
_OTHER_LICENCES = re.compile(r"\b(?:l?gpl|agpl|gnu|mit|expat|bsd|apache|mpl|artistic|isc|zlib|ofl)\b")
# a licence named in free text (READMEs); only these mark a line as a licence statement
LICENCE_IN_TEXT = re.compile(
    r"\bCC[\s-]*0(?:[\s-]*1\.0)?\b|\bCC[\s-]*BY(?:[\s-]*(?:SA|NC|ND))*[\s-]*\d(?:\.\d)?\b|\bpublic[\s-]+domain\b|"
    r"\bCreative\s+Commons\s+(?:Zero|Attribution)[\w\s.-]*?\d\.\d(?:\s+Unported)?|"
    r"\b(?:L?GPL|AGPL)[\w.+-]*|\bMIT\b|\bExpat\b",
    re.IGNORECASE,
)


def canonical_licence(text: str) -> str:
    """A licence short name or phrase as one of ACCEPTED, or the text itself (trimmed) when it is not one.

    Versions are kept: "CC BY 3.0", "CC-BY-3", "Creative Commons Attribution 3.0 Unported" → CC-BY-3.0;
    a CC licence with NC/ND/Sampling terms is never mistaken for an accepted one.
    """
    raw = " ".join(text.split()).strip(" .;:,()")
    low = raw.lower().replace("_", "-")
    if _NON_FREE_CC.search(low) or _OTHER_LICENCES.search(low):
        return raw  # NC/ND terms, or another licence named beside it ("CC BY 3.0 and GPL-2"): not ours
    named: set[str] = set()
    for pattern, name in _LICENCE_PATTERNS:
        for found in pattern.finditer(low):
            named.add(f"{name}-{found.group(1)}.0" if name in ("CC-BY", "CC-BY-SA") else name)
            low = low[: found.start()] + " " * (found.end() - found.start()) + low[found.end() :]
    if len(named) != 1:  # none, or several licences in one phrase: a person must read it
        return raw
    (name,) = named
    return name if name in ACCEPTED else raw


def licence_choice(expression: str) -> str | None:
    """The accepted licence a DEP-5 licence expression lets us use, or None.

    "A or B": the recipient's choice, so the least demanding accepted alternative; "A and B" (or a
    comma list): every part applies, so all must be accepted and the most demanding one is named.
    """
    best: str | None = None
    for alternative in re.split(r"\s+or\s+", expression.strip(), flags=re.IGNORECASE):
        parts = [p for p in re.split(r"\s+and\s+|,\s*", alternative, flags=re.IGNORECASE) if p.strip()]
        names = [canonical_licence(p) for p in parts]
        if not names or any(n not in ACCEPTED for n in names):
            continue
        strictest = max(names, key=lambda n: _RESTRICTION[n])
        if best is None or _RESTRICTION[strictest] < _RESTRICTION[best]:
            best = strictest
    return best


# ------------------------------------------------------------------------------------ debian/copyright


@dataclass(frozen=True)
class FilesParagraph:
    """One `Files:` paragraph of a DEP-5 debian/copyright."""

    patterns: tuple[str, ...]
    holders: tuple[str, ...]  # the Copyright field, one holder a line, years and e-mail addresses dropped
    licence: str  # the License field's first line: a short name or an expression ("GPL-2+ or CDDL")
    line: int  # where the paragraph starts, for the build log
    label: str = ""  # how the build log names it; `Files: <pattern>` unless the reader read free-form text

    def matching_pattern(self, path: str) -> str | None:
        return next((p for p in self.patterns if _dep5_regex(p).fullmatch(path)), None)


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _dep5_regex(pattern: str) -> re.Pattern[str]:
    """DEP-5 globs: `*` matches any run of characters, `/` included; `?` one character; `\\` escapes."""
    if pattern not in _REGEX_CACHE:
        out, i = [], 0
        while i < len(pattern):
            c = pattern[i]
            if c == "\\" and i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
            i += 1
        _REGEX_CACHE[pattern] = re.compile("".join(out), re.DOTALL)
    return _REGEX_CACHE[pattern]


_YEARS = re.compile(r"^(?:copyright\s*)?(?:\(c\)|©)?\s*(?:[\d]{4}(?:\s*[-–,]\s*[\d]{2,4})*,?\s*)+", re.I)


def _holder(line: str) -> str:
    line = re.sub(r"<[^>]*>|\S+@\S+", "", line)
    line = _YEARS.sub("", line.strip())
    line = re.sub(r"^(?:copyright\s*)?(?:\(c\)|©)\s*", "", line, flags=re.I)
    return " ".join(line.split()).strip(" ,;")


@dataclass(frozen=True)
class Copyright:
    """A parsed DEP-5 debian/copyright: its `Files:` paragraphs, in file order."""

    paragraphs: tuple[FilesParagraph, ...]

    def match(self, path: str) -> tuple[FilesParagraph, str] | None:
        """The paragraph that applies to `path` (the last that matches, as DEP-5 says) and its pattern."""
        for paragraph in reversed(self.paragraphs):
            pattern = paragraph.matching_pattern(path)
            if pattern is not None:
                return paragraph, pattern
        return None


def parse_copyright(text: str, where: str = "debian/copyright") -> Copyright:
    """Parse a machine-readable debian/copyright (DEP-5); a free-form one cannot decide per file."""
    paragraphs: list[FilesParagraph] = []
    fields: dict[str, list[str]] = {}
    current: str | None = None
    start = 1

    def close() -> None:
        if "files" in fields and "license" in fields:
            patterns = tuple(" ".join(fields["files"]).split())
            licence = (fields["license"][0] or "").strip()
            holders = tuple(h for h in (_holder(x) for x in fields.get("copyright", [])) if h)
            holders = tuple(h for h in holders if h.lower() not in ("no-copyright", "none"))
            paragraphs.append(FilesParagraph(patterns, holders, licence, start))

    first = next((line for line in text.splitlines() if line.strip()), "")
    if not re.match(r"(?i)format(?:-specification)?:", first):
        raise BadInputError(
            f"{where} is not machine-readable (no DEP-5 `Format:` line): "
            "its files' licences cannot be decided one by one"
        )
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            close()
            fields, current = {}, None
            continue
        if line.startswith("#"):
            continue
        if line[0] in " \t":
            if current is not None:
                value = line.strip()
                fields[current].append("" if value == "." else value)
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadInputError(f"{where}, line {number}: not a DEP-5 field: {line.strip()[:60]!r}")
        if not fields:
            start = number
        current = name.strip().lower()
        fields[current] = [value.strip()]
    close()
    if not paragraphs:
        raise BadInputError(f"{where} has no `Files:` paragraphs: its files' licences cannot be decided")
    return Copyright(tuple(paragraphs))


# ------------------------------------------------------------------------------------------- .deb files


@dataclass
class DebContents:
    """What a reader needs from one .deb: its control fields and the data members it asked for."""

    path: Path
    package: str
    version: str
    homepage: str
    sha256: str
    source: str = ""  # the Debian source package (control `Source:`, else the package's own name)
    members: dict[str, bytes] = field(default_factory=dict)  # path inside the package (no "./") → bytes
    links: dict[str, str] = field(default_factory=dict)  # symlinks and hard links: path → target

    @property
    def copyright_path(self) -> str:
        return f"usr/share/doc/{self.package}/copyright"


class _Window(io.RawIOBase):
    """A read-only view of `size` bytes of an open file from `offset`: one ar member, streamed."""

    def __init__(self, fh: io.BufferedReader, offset: int, size: int) -> None:
        self._fh, self._left = fh, size
        fh.seek(offset)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._left)
        data = self._fh.read(n)
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


def _ar_members(fh: io.BufferedReader, where: Path) -> dict[str, tuple[int, int]]:
    """The members of an `ar` archive: name → (offset, size)."""
    if fh.read(8) != b"!<arch>\n":
        raise BadInputError(f"{where} is not a Debian package (no `ar` archive header)")
    members: dict[str, tuple[int, int]] = {}
    while True:
        header = fh.read(60)
        if not header:
            return members
        if len(header) < 60 or header[58:60] != b"`\n":
            raise BadInputError(f"{where} is a damaged Debian package (bad `ar` member header)")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise BadInputError(f"{where} is a damaged Debian package (bad `ar` member size)") from None
        members[name] = (fh.tell(), size)
        fh.seek(size + (size & 1), io.SEEK_CUR)


def _tar_stream(deb: Path, fh: io.BufferedReader, name: str, span: tuple[int, int]):
    """An open streaming tarfile over one `ar` member (xz, gz, bz2 or none; zstd through dpkg-deb)."""
    if name.endswith(".zst"):
        if name.startswith("control"):
            command = ["dpkg-deb", "--ctrl-tarfile", str(deb)]
        else:
            command = ["dpkg-deb", "--fsys-tarfile", str(deb)]
        if shutil.which("dpkg-deb") is None:
            raise BadInputError(
                f"{deb.name} has a zstd-compressed {name}, which Python cannot read: install dpkg-deb"
            )
        run = subprocess.run(command, capture_output=True, check=False)
        if run.returncode:
            raise BadInputError(
                f"dpkg-deb cannot read {deb.name}: {run.stderr.decode(errors='replace')[:200]}"
            )
        return tarfile.open(fileobj=io.BytesIO(run.stdout), mode="r:")
    window = io.BufferedReader(_Window(fh, *span), buffer_size=1 << 20)
    return tarfile.open(fileobj=window, mode="r|*")


def _control_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line and line[0] not in " \t" and ":" in line:
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
    return fields


def read_deb(path: Path, wanted: Callable[[str], bool]) -> DebContents:
    """Read a .deb's control fields and, into memory, the data members for which `wanted(path)` holds
    (paths without the leading "./"); its debian/copyright is always read."""
    path = Path(path)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    try:
        with path.open("rb") as fh:
            members = _ar_members(fh, path)
            control_name = next((n for n in members if n.startswith("control.tar")), None)
            data_name = next((n for n in members if n.startswith("data.tar")), None)
            if control_name is None or data_name is None:
                raise BadInputError(f"{path} is not a Debian binary package (no control.tar or data.tar)")
            control = ""
            with _tar_stream(path, fh, control_name, members[control_name]) as tar:
                for info in tar:
                    if info.isfile() and info.name.lstrip("./") == "control":
                        control = tar.extractfile(info).read().decode("utf-8", "replace")  # type: ignore[union-attr]
            fields = _control_fields(control)
            if "package" not in fields or "version" not in fields:
                raise BadInputError(f"{path}: its control file names no Package or Version")
            contents = DebContents(
                path,
                fields["package"],
                fields["version"],
                fields.get("homepage", ""),
                digest.hexdigest(),
                (fields.get("source") or fields["package"]).split()[0],
            )
            with _tar_stream(path, fh, data_name, members[data_name]) as tar:
                for info in tar:
                    name = info.name[2:] if info.name.startswith("./") else info.name.lstrip("/")
                    if info.issym() or info.islnk():
                        contents.links[name] = info.linkname
                    elif info.isfile() and (wanted(name) or name == contents.copyright_path):
                        contents.members[name] = tar.extractfile(info).read()  # type: ignore[union-attr]
    except (tarfile.TarError, EOFError, OSError, ValueError, lzma.LZMAError, zlib.error) as err:
        if isinstance(err, BadInputError):
            raise
        raise BadInputError(f"{path} cannot be read as a Debian package: {err}") from None
    return contents


# -------------------------------------------------------------------------------------- per-file sounds


@dataclass(frozen=True)
class Statement:
    """What a package's own files say about one file: its licence, its authors, and where it says so."""

    licence: str
    authors: tuple[str, ...]
    where: str
    credit: str = ""  # the package's own words, quoted in ATTRIBUTION.md


@dataclass(frozen=True)
class SourceSound:
    """One recording in a package, with the licence decided for it; `data` is its encoded audio."""

    package: str
    version: str
    path: str  # inside the package; "…/0snd.pk3!sound/x.ogg" inside an archive, "…/opensfx.cat#07" an entry
    key: str  # what the caption table matches (the path under the package's sound folder, or a title)
    title: str  # the work's title for attribution: its file name, or the title its package gives it
    data: bytes
    fmt: str  # "ogg" (ogg/oga), "wav" or "wv"
    licence: str
    authors: tuple[str, ...]
    basis: str  # where the licence was read: the debian/copyright paragraph or the package's own file
    credit: str = ""


@dataclass(frozen=True)
class Exclusion:
    package: str
    path: str
    reason: str
    kind: str = "licence"  # licence | link | skipped | unmapped | duplicate | audio


def decide(
    copyright: Copyright, copyright_path: str, statement: Statement | None
) -> tuple[str, tuple[str, ...], str, str] | str:
    """(licence, authors, basis, credit) for a file, or the reason it is excluded."""
    matched = copyright.match(copyright_path)
    if matched is None:
        return f"no debian/copyright paragraph covers {copyright_path}"
    paragraph, pattern = matched
    base = licence_choice(paragraph.licence)
    if base is None:
        return f"{paragraph.licence} (debian/copyright, Files: {pattern})"
    basis = f"debian/copyright, {paragraph.label or f'Files: {pattern}'} (line {paragraph.line})"
    if statement is None:
        return base, paragraph.holders, basis, ""
    stated = licence_choice(statement.licence)
    if stated is None:
        return f"{statement.licence} ({statement.where})"
    authors = statement.authors or paragraph.holders
    # Where the package's own statement and debian/copyright differ, the stricter terms are kept:
    # a disagreement can only ever add obligations (or remove the file), never drop them.
    licence = max((stated, base), key=lambda name: _RESTRICTION[name])
    return licence, authors, f"{statement.where}: {stated}; {basis}: {paragraph.licence}", statement.credit


AUDIO_SUFFIXES = {".ogg": "ogg", ".oga": "ogg", ".wav": "wav", ".wv": "wv"}


class PackageReader:
    """How one package lays out its sounds: which members to read and how each file's licence is stated.

    The default reads loose audio files under `sound_root`, whose debian/copyright paths are the same
    paths with `sound_root` replaced by `copyright_prefix`.
    """

    name = ""
    sound_root = ""
    copyright_prefix = ""

    def wanted(self, member: str) -> bool:
        return member.startswith(self.sound_root) and Path(member).suffix.lower() in AUDIO_SUFFIXES

    def copyright_path(self, key: str) -> str:
        return self.copyright_prefix + key

    def statements(self, contents: DebContents, keys: list[str]) -> tuple[dict[str, Statement], list[str]]:
        """Per-file statements from the package's own files, keyed like `key`; and notes for the log."""
        return {}, []

    def terms(self, text: str, where: str) -> Copyright:
        """The package's debian/copyright as paragraphs: DEP-5 unless a reader knows its free-form text."""
        return parse_copyright(text, where)

    def entries(self, contents: DebContents) -> Iterator[tuple[str, str, str, bytes, str]]:
        """(path, key, title, data, format) of every sound in the package."""
        for member, data in sorted(contents.members.items()):
            fmt = AUDIO_SUFFIXES.get(Path(member).suffix.lower())
            if fmt and member.startswith(self.sound_root):
                key = member[len(self.sound_root) :]
                yield member, key, Path(member).name, data, fmt

    def read(self, contents: DebContents) -> tuple[list[SourceSound], list[Exclusion], list[str]]:
        """Every sound of the package with its licence decided, the exclusions, and notes for the log."""
        text = contents.members.get(contents.copyright_path)
        if text is None:
            raise BadInputError(f"{contents.path.name} has no {contents.copyright_path}")
        copyright = self.terms(text.decode("utf-8", "replace"), f"{contents.package}'s debian/copyright")
        entries = list(self.entries(contents))
        statements, notes = self.statements(contents, [key for _, key, *_ in entries])
        sounds, excluded = [], []
        for path, key, title, data, fmt in entries:
            decision = decide(copyright, self.copyright_path(key), statements.get(key))
            if isinstance(decision, str):
                excluded.append(Exclusion(contents.package, path, decision))
                continue
            licence, authors, basis, credit = decision
            sounds.append(
                SourceSound(
                    contents.package,
                    contents.version,
                    path,
                    key,
                    title,
                    data,
                    fmt,
                    licence,
                    authors,
                    basis,
                    credit,
                )
            )
        for link, target in sorted(contents.links.items()):
            if self.wanted(link):
                excluded.append(
                    Exclusion(contents.package, link, f"a link to {target} (the same recording)", "link")
                )
        return sounds, excluded, notes


# --- minetest-data: loose .ogg files; per-mod README.txt files name authors and licences


class MinetestReader(PackageReader):
    """minetest-data: `usr/share/games/minetest/games/<game>/mods/<mod>/sounds/*.ogg`.

    debian/copyright names source paths (`mtg/mods/…` for minetest_game); each mod's README.txt names
    the author and licence of most of its sounds, in prose that `parse_minetest_readme` reads.
    """

    name = "minetest-data"
    sound_root = "usr/share/games/minetest/games/"

    def wanted(self, member: str) -> bool:
        return super().wanted(member) or bool(re.fullmatch(r".*/mods/[^/]+/README(\.txt|\.md)?", member))

    def copyright_path(self, key: str) -> str:
        game, _, rest = key.partition("/")
        return f"mtg/{rest}" if game == "minetest_game" else f"games/{key}"

    def statements(self, contents: DebContents, keys: list[str]) -> tuple[dict[str, Statement], list[str]]:
        by_mod: dict[str, list[str]] = {}
        for key in keys:
            parts = key.split("/")
            if len(parts) == 5 and parts[1] == "mods" and parts[3] == "sounds":
                by_mod.setdefault("/".join(parts[:3]), []).append(key)
        statements: dict[str, Statement] = {}
        notes: list[str] = []
        for mod_dir, mod_keys in sorted(by_mod.items()):
            mod = mod_dir.rsplit("/", 1)[1]
            readme_member = next(
                (self.sound_root + f"{mod_dir}/{n}" for n in ("README.txt", "README.md", "README")
                 if self.sound_root + f"{mod_dir}/{n}" in contents.members),
                None,
            )  # fmt: skip
            if readme_member is None:
                continue
            text = contents.members[readme_member].decode("utf-8", "replace")
            where = readme_member[len(self.sound_root) :]
            names = {Path(k).name: k for k in mod_keys}
            found, default = parse_minetest_readme(text, mod, list(names), where)
            for erratum in MINETEST_ERRATA.get(mod, ()):
                if erratum.quote not in text:
                    notes.append(
                        f"{where}: no longer says {erratum.quote!r}; erratum for {erratum.pattern} unused"
                    )
                    continue
                for name in names:
                    if fnmatch.fnmatchcase(name, erratum.pattern) and name not in found:
                        found[name] = Statement(
                            erratum.licence,
                            erratum.authors,
                            f"{where} (read by hand)",
                            erratum.credit or erratum.quote,
                        )
            for name, key in names.items():
                if name in found:
                    statements[key] = found[name]
                elif default is not None:
                    statements[key] = default
        return statements, notes


@dataclass(frozen=True)
class Erratum:
    """A README statement no parser can tie to a file name, read by a person. `quote` must still be in
    the README, or the erratum is dropped (and the build log says so)."""

    pattern: str
    licence: str
    authors: tuple[str, ...]
    quote: str
    credit: str = ""  # the README's words for the files, quoted in ATTRIBUTION.md


MINETEST_ERRATA: dict[str, tuple[Erratum, ...]] = {
    "default": (
        Erratum(
            "default_break_glass.*.ogg",
            "CC-BY-3.0",
            ("cmusounddesign", "Tomlija", "lsprice"),
            "Glass breaking sounds (CC BY 3.0):",
            "Glass breaking sounds (CC BY 3.0): 1: http://www.freesound.org/people/cmusounddesign/sounds/71947/"
            " 2: http://www.freesound.org/people/Tomlija/sounds/97669/"
            " 3: http://www.freesound.org/people/lsprice/sounds/88808/",
        ),
    ),
}

_URL = re.compile(r"<?https?://[^\s>]+>?")
_CREDIT_START = re.compile(r"^(?:-|by\b|<|https?:|renamed|edited|converted|derived|based|mixed)", re.I)
_DESCRIPTIVE = re.compile(r"\b(?:sounds?|textures?|models?|files?|schematics?)\b", re.I)


def _url_authors(text: str) -> list[str]:
    users = re.findall(r"freesound\.org/people/([^/\s>]+)", text)
    users += re.findall(r"opengameart\.org/users/([^/\s>]+)", text)
    return [unquote(u) for u in users]


def _clean_name(text: str) -> str:
    text = re.sub(r"<[^>]*>|\S+@\S+", "", text)
    text = re.sub(r"^(?:copyright\s*)?(?:\(c\))?\s*[\d\s,-]*(?=\D)", "", text.strip(), flags=re.I)
    return " ".join(text.split()).strip(" -–,;:.'\"")


def _drop_parenthesis(found: re.Match[str]) -> str:
    """A parenthesis that holds a licence, a description ("(sounds)") or a credit is not part of a name;
    one that holds a nickname ("Perttu Ahola (celeron55)") is."""
    inside = found[1]
    if LICENCE_IN_TEXT.search(inside) or _DESCRIPTIVE.search(inside) or re.search(r"\bby\b", inside):
        return " "
    return found[0]


def _line_authors(text: str, credit_only: bool) -> list[str]:
    """Author names in one README line: "by X" phrases, else (unless `credit_only`) the plain text left
    once licences, URLs, parentheses that hold a licence or a description, and dashes are removed."""
    text = _URL.sub(" ", text)
    text = re.sub(r"\(([^()]*)\)", _drop_parenthesis, text)
    text = LICENCE_IN_TEXT.sub(" ", text)
    by = re.findall(r"\bby\s+([^,;:()]+?)(?=\s*(?:[,;:()]|\bmodified\b|\bedited\b|$))", text, flags=re.I)
    if by:
        names = [_clean_name(b) for b in by]
    elif credit_only:
        return []
    else:
        names = [_clean_name(part) for part in re.split(r"\s+-\s+|\s+–\s+", text)]
    return [n for n in names if n and not _DESCRIPTIVE.search(n) and len(n) < 60 and re.search(r"\w", n)]


def _file_tokens(text: str, mod: str, names: list[str]) -> list[str]:
    """The package's sound files a README line names, by exact name or glob, with or without the mod's
    name as prefix ("door_open.ogg" is doors_door_open.ogg)."""
    hits: list[str] = []
    for token in re.findall(r"[A-Za-z0-9_][\w.*-]*", _URL.sub(" ", text)):
        if ("." not in token and "*" not in token) or len(token.strip("*.")) < 3:
            continue
        for name in names:
            if name not in hits and (
                fnmatch.fnmatchcase(name, token)
                or fnmatch.fnmatchcase(name, f"{mod}_{token}")
                or fnmatch.fnmatchcase(name, f"{token}.ogg")
                or fnmatch.fnmatchcase(name, f"{mod}_{token}.ogg")
            ):
                hits.append(name)
    return hits


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def parse_minetest_readme(
    text: str, mod: str, names: list[str], where: str
) -> tuple[dict[str, Statement], Statement | None]:
    """Statements per sound file (by file name) in a minetest mod's README.txt, and its default
    ("Everything not listed in here: …") if it gives one.

    The READMEs are prose in a few shapes, all handled: a heading with author and licence followed by
    indented file names ("Mito551 (sounds) (CC BY-SA 3.0):"); a file line carrying its own author and
    licence ("default_dig_metal.ogg - yadronoff - CC-BY-3.0"); a file line followed by credit lines
    ("  http://freesound.org/people/X/… (CC0 1.0)", "by steveygos93 (CC0 1.0)"). A blank line ends a
    heading's reach. A file with no licence anywhere near it gets no statement here.
    """
    statements: dict[str, Statement] = {}
    default: Statement | None = None
    heading: dict | None = None
    group: dict | None = None
    expect_default = False

    def flush() -> None:
        nonlocal group
        if group is None:
            return
        licences, authors, lines = list(group["licences"]), list(group["authors"]), list(group["lines"])
        if heading is not None and (group["indent"] > heading["indent"] or group["follows_heading"]):
            licences = licences or list(heading["licences"])
            authors = [*heading["authors"], *authors]
            lines = [*heading["lines"], *lines]
        if licences:
            statement = Statement(
                " and ".join(_unique([canonical_licence(x) for x in licences])),
                _unique(authors),
                f"{where}, line {group['line']}",
                " / ".join(lines),
            )
            for name in group["files"]:
                statements.setdefault(name, statement)
        group = None

    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            flush()
            heading = None
            continue
        indent = len(raw) - len(raw.lstrip())
        line = raw.strip()
        files = _file_tokens(line, mod, names)
        licences = LICENCE_IN_TEXT.findall(_URL.sub(" ", line))
        url_users = _url_authors(line)
        if files:
            continues = group is not None and not group["credited"] and group["indent"] == indent
            if not continues:
                flush()
                follows = heading is not None and heading["last"] == number - 1
                group = {"indent": indent, "files": [], "licences": [], "authors": [], "lines": [],
                         "line": number, "credited": False, "follows_heading": follows}  # fmt: skip
            assert group is not None
            group["files"] += [f for f in files if f not in group["files"]]
            group["licences"] += licences
            rest = line
            for token in re.findall(r"[A-Za-z0-9_][\w.*-]*", _URL.sub(" ", line)):
                if _file_tokens(token, mod, names):
                    rest = rest.replace(token, " ")
            group["authors"] += _line_authors(rest, credit_only=False) + url_users
            group["lines"].append(line)
            continue
        if re.search(r"everything\s+(?:else\s+)?not\s+listed", line, re.I):
            flush()
            expect_default = True
            if not licences:
                continue
        if expect_default and licences:
            default = Statement(
                " and ".join(_unique([canonical_licence(x) for x in licences])),
                _unique(_line_authors(line, credit_only=False)),
                f"{where}, line {number} (everything not listed)",
                line,
            )
            expect_default = False
            continue
        if group is not None and (indent > group["indent"] or _CREDIT_START.match(line)):
            group["licences"] += licences
            group["authors"] += _line_authors(line, credit_only=True) + url_users
            group["lines"].append(line)
            group["credited"] = True
            continue
        if licences or line.endswith(":"):
            flush()
            heading = {"indent": indent, "licences": licences, "last": number, "lines": [line],
                       "authors": _line_authors(line, credit_only=False) + url_users}  # fmt: skip
            continue
        if heading is not None and group is None and (url_users or _URL.fullmatch(line.split()[-1])):
            heading["authors"] += url_users
            heading["last"] = number
            continue
        flush()
    flush()
    return statements, default


# --- ufoai-sound: .ogg files inside a zip (`0snd.pk3`); debian/copyright lists every file


class ZipArchiveReader(PackageReader):
    """Sounds inside zip archives shipped in the package: the archives are the members `wanted`, and each
    sound's key is its path inside its archive (from `inner_root`)."""

    inner_root = ""

    def entries(self, contents: DebContents) -> Iterator[tuple[str, str, str, bytes, str]]:
        for member, blob in sorted(contents.members.items()):
            if not self.wanted(member):
                continue
            try:
                archive = zipfile.ZipFile(io.BytesIO(blob))
            except zipfile.BadZipFile:
                raise BadInputError(f"{contents.path.name}: {member} is not a zip archive") from None
            for name in sorted(archive.namelist()):
                fmt = AUDIO_SUFFIXES.get(Path(name).suffix.lower())
                if fmt and name.startswith(self.inner_root) and not name.endswith("/"):
                    yield f"{member}!{name}", name, Path(name).name, archive.read(name), fmt


class UfoaiReader(ZipArchiveReader):
    """ufoai-sound: `usr/share/games/ufoai/base/*.pk3` zip archives of `sound/…` files; debian/copyright
    lists each file as `base/sound/…` (generated from upstream's per-file licence records)."""

    name = "ufoai-sound"
    sound_root = "usr/share/games/ufoai/base/"
    copyright_prefix = "base/"

    def wanted(self, member: str) -> bool:
        return member.startswith(self.sound_root) and member.endswith(".pk3")


# --- 0ad-data: .ogg/.wav files inside one zip (`public.zip`); debian/copyright: `Files: *`


class ZeroADReader(ZipArchiveReader):
    """0ad-data: the `audio/…` files of `usr/share/games/0ad/mods/public/public.zip`. That archive is
    3.3 GB (the game's art too) and sits inside the package's compressed tar stream, so it is read whole
    into memory: building with this package needs about 4 GB free. debian/copyright gives every file
    (`Files: *`) as CC BY-SA 3.0 by Wildfire Games, upstream paths under `binaries/data/mods/public/`."""

    name = "0ad-data"
    sound_root = "usr/share/games/0ad/mods/public/"
    copyright_prefix = "binaries/data/mods/public/"
    inner_root = "audio/"

    def wanted(self, member: str) -> bool:
        return member == self.sound_root + "public.zip"


# --- openttd-opensfx: WAV entries inside one `opensfx.cat`; each entry's name credits it


class OpenSfxReader(PackageReader):
    """openttd-opensfx: `opensfx.cat`, OpenTTD's sound catalogue (see `read_cat`). Each entry's name is a
    credit line: `"Title". Original "x.wav" by "A". Edited by "B". License: Creative Commons …`."""

    name = "openttd-opensfx"
    sound_root = "usr/share/games/openttd/baseset/"
    copyright_prefix = "src/wav/"

    def wanted(self, member: str) -> bool:
        return member.startswith(self.sound_root) and member.endswith(".cat")

    def entries(self, contents: DebContents) -> Iterator[tuple[str, str, str, bytes, str]]:
        self._statements: dict[str, Statement] = {}
        for member, blob in sorted(contents.members.items()):
            if not self.wanted(member):
                continue
            for index, (name, wav) in enumerate(read_cat(blob, f"{contents.path.name}: {member}")):
                statement = parse_opensfx_name(name, f"{Path(member).name} entry {index}")
                key = statement.credit.split('"')[1] if statement.credit.count('"') >= 2 else name
                key = f"{index:02d} {key}"
                self._statements[key] = statement
                yield f"{member}#{index:02d}", key, key[3:], wav, "wav"

    def copyright_path(self, key: str) -> str:
        return f"src/wav/{key[:2]}.wav"

    def statements(self, contents: DebContents, keys: list[str]) -> tuple[dict[str, Statement], list[str]]:
        return dict(self._statements), []


def read_cat(blob: bytes, where: str) -> list[tuple[str, bytes]]:
    """OpenTTD's .cat sound catalogue: a table of (offset | 0x80000000, size) little-endian uint32 pairs
    whose first offset is the table's length; at each offset a length byte, a NUL-terminated name, then
    `size` bytes of RIFF WAV. (Bit 31 marks the "new format", whose names are all meaningful.)"""
    try:
        first = struct.unpack_from("<I", blob, 0)[0] & 0x7FFFFFFF
        if first == 0 or first % 8 or first > len(blob):
            raise ValueError("bad table length")
        entries = []
        for i in range(first // 8):
            offset, size = struct.unpack_from("<II", blob, 8 * i)
            offset &= 0x7FFFFFFF
            length = blob[offset]
            name = blob[offset + 1 : offset + 1 + length].split(b"\0")[0].decode("utf-8", "replace")
            start = offset + 1 + length
            if start + size > len(blob):
                raise ValueError(f"entry {i} runs past the end")
            entries.append((name.strip(), blob[start : start + size]))
        return entries
    except (struct.error, IndexError, ValueError) as err:
        raise BadInputError(f"{where} is not an OpenTTD sound catalogue: {err}") from None


def parse_opensfx_name(name: str, where: str) -> Statement:
    """Title, authors and licence from an OpenSFX entry name (every "by …", quoted or not, with any
    "aka" alias; editors included, as they made the work we use)."""
    authors: list[str] = []
    for found in re.finditer(r"\b[Bb]y\s+", name):
        rest = name[found.end() :]
        if rest.startswith('"'):
            author = rest[1:].split('"', 1)[0]
            rest = rest[len(author) + 2 :]
        else:
            match = re.match(r"[^\",]+?(?=\s+aka\s|\s+and\s|[.,](?:\s|$)|$)", rest)
            author = match.group(0) if match else ""
            rest = rest[len(author) :]
        alias = re.match(r'\s+aka\s+"([^"]+)"', rest)
        author = author.strip()
        if author:
            authors.append(f"{author} ({alias.group(1)})" if alias else author)
    licence_text = name.split("License:", 1)[1] if "License:" in name else ""
    licence_text = re.split(r"\.(?:\s|$)", licence_text.strip(), maxsplit=1)[0]
    return Statement(canonical_licence(licence_text) if licence_text else "", _unique(authors), where, name)


# --- sound-theme-freedesktop and teeworlds-data: loose files, debian/copyright per file or folder


class FreedesktopReader(PackageReader):
    """sound-theme-freedesktop: `usr/share/sounds/freedesktop/stereo/*.oga`, one paragraph per file."""

    name = "sound-theme-freedesktop"
    sound_root = "usr/share/sounds/freedesktop/"


class TeeworldsReader(PackageReader):
    """teeworlds-data: `usr/share/games/teeworlds/data/audio/*.wv` (WavPack: decoded with `wvunpack`)."""

    name = "teeworlds-data"
    sound_root = "usr/share/games/teeworlds/data/"
    copyright_prefix = "data/"


class SuperTuxKartReader(PackageReader):
    """supertuxkart-data: `usr/share/games/supertuxkart/data/**.ogg`; debian/copyright names nearly every
    sound file with its author and licence (freesound, OpenGameArt), paths from `data/`."""

    name = "supertuxkart-data"
    sound_root = "usr/share/games/supertuxkart/data/"
    copyright_prefix = "data/"


class RedEclipseReader(PackageReader):
    """redeclipse-data: `usr/share/games/redeclipse/data/sounds/**.ogg`; debian/copyright paths from
    `data/` (CC BY-SA 3.0+ by default, per-author paragraphs for the ambiences)."""

    name = "redeclipse-data"
    sound_root = "usr/share/games/redeclipse/data/"
    copyright_prefix = "data/"


# --- five smaller packages of loose files, each with a DEP-5 debian/copyright


class HedgewarsReader(PackageReader):
    """hedgewars-data: `usr/share/games/hedgewars/Data/Sounds/*.ogg`; its sounds are GFDL-1.3 (not
    accepted) except the three `Droplet*.ogg`, CC BY-SA 3.0 (paths from `share/hedgewars/`)."""

    name = "hedgewars-data"
    sound_root = "usr/share/games/hedgewars/Data/Sounds/"
    copyright_prefix = "share/hedgewars/Data/Sounds/"


class Cube2Reader(PackageReader):
    """cube2-data: `usr/share/games/cube2/packages/sounds/**`; DEP-5 paragraphs by folder: `olpc/` and
    `yo_frankie/` CC BY 3.0, `sfx/` and `q009/` CC BY-SA 3.0, `aard/` public domain, the chainsaw CC BY-SA
    4.0 (`*`, CC BY 3.0, covers the rest)."""

    name = "cube2-data"
    sound_root = "usr/share/games/cube2/packages/sounds/"
    copyright_prefix = "packages/sounds/"


class LugaruReader(PackageReader):
    """lugaru-data: `usr/share/games/lugaru/Sounds/*.ogg`; `Data/*` is CC BY-SA 3.0 (Wolfire Games)."""

    name = "lugaru-data"
    sound_root = "usr/share/games/lugaru/"
    copyright_prefix = "Data/"


class WordwarviReader(PackageReader):
    """wordwarvi-sound: `usr/share/wordwarvi/sounds/*.ogg`; `sounds/*` is CC BY-SA 3.0 (Stephen M. Cameron)."""

    name = "wordwarvi-sound"
    sound_root = "usr/share/wordwarvi/sounds/"
    copyright_prefix = "sounds/"


class FlareReader(PackageReader):
    """flare-game: `usr/share/games/flare/mods/<mod>/soundfx/**.ogg` (and its music, skipped by the caption
    table); `Files: *` is CC BY-SA 3.0+ (Clint Bellanger and others), paths from `mods/`."""

    name = "flare-game"
    sound_root = "usr/share/games/flare/mods/"
    copyright_prefix = "mods/"


# --- openclonk-data: sounds inside a c4group archive (`Sound.ocg`); its own authors.txt credits them


class OpenClonkReader(PackageReader):
    """openclonk-data: the sounds of `usr/share/games/openclonk/Sound.ocg`, an OpenClonk c4group archive
    (see `read_c4group`). Keys are paths inside it without the `.ocg` of its folders
    (`Structures/HingeCreak1.ogg`). debian/copyright is free-form (not DEP-5): for the game's content it
    names CC BY 3.0 and CC0 and nothing else, so it is read as one statement covering every file, and each
    file's own licence and author come from the archive's `authors.txt` (`parse_openclonk_authors`)."""

    name = "openclonk-data"
    sound_root = "usr/share/games/openclonk/"
    archive = sound_root + "Sound.ocg"

    def wanted(self, member: str) -> bool:
        return member == self.archive

    def terms(self, text: str, where: str) -> Copyright:
        # the one sentence that speaks of the game's content; anything else in it is about the engine's code
        found = re.search(
            r"files belonging to the game content are licensed under(.+?)\.\s", text, re.I | re.S
        )
        sentence = re.sub(r"\[\d+\]|\([^)]*\)", " ", found.group(1)) if found else ""  # notes, asides
        named = {canonical_licence(part) for part in re.split(r"\bor\b", sentence, flags=re.I)}
        if found is None or named != {"CC-BY-3.0", "CC0-1.0"}:
            raise BadInputError(f"{where} no longer says the game content is CC BY 3.0 or CC0: read it again")
        line = text[: found.start()].count("\n") + 1
        holders = ("The OpenClonk Team and contributors",)
        label = "free-form text on the game content"
        return Copyright((FilesParagraph(("*",), holders, "CC-BY-3.0 or CC0-1.0", line, label),))

    def entries(self, contents: DebContents) -> Iterator[tuple[str, str, str, bytes, str]]:
        self._authors_txt = ""
        blob = contents.members.get(self.archive)
        if blob is None:
            return
        for inner, data in read_c4group(blob, f"{contents.path.name}: {self.archive}"):
            if inner == "authors.txt":
                self._authors_txt = data.decode("utf-8", "replace")
            fmt = AUDIO_SUFFIXES.get(Path(inner).suffix.lower())
            if fmt:
                key = "/".join(part.removesuffix(".ocg") for part in inner.split("/"))
                yield f"{self.archive}!{inner}", key, Path(inner).name, data, fmt

    def statements(self, contents: DebContents, keys: list[str]) -> tuple[dict[str, Statement], list[str]]:
        if not self._authors_txt:
            raise BadInputError(
                f"{contents.path.name}: {self.archive} has no authors.txt to credit its sounds"
            )
        return parse_openclonk_authors(self._authors_txt, keys)


C4GROUP_MAGIC = b"\x1e\x8c"  # a gzip stream whose first two bytes (1f 8b) are changed
_C4_HEADER, _C4_ENTRY = 204, 316


def _c4_unscramble(header: bytes) -> bytes:
    """Undo C4Group's `MemScramble` of a group header: swap bytes 0 and 2 of every three, then XOR 237."""
    out = bytearray(header)
    for i in range(0, len(out) - 2, 3):
        out[i], out[i + 2] = out[i + 2], out[i]
    return bytes(b ^ 237 for b in out)


def read_c4group(blob: bytes, where: str) -> list[tuple[str, bytes]]:
    """(path, data) of every file in an OpenClonk c4group archive, child groups walked into.

    Written by hand (no library reads the format): the file is gzip with its magic bytes changed; inside,
    each group is a 204-byte scrambled header ("RedWolf Design GrpFolder", version, entry count), then one
    316-byte entry per member (name[260], packed, is-child-group, size, -, offset, …), then the members'
    bytes, offsets counted from the end of the entry table; a child group is a group of the same layout.
    """
    if blob[:2] != C4GROUP_MAGIC:
        raise BadInputError(f"{where} is not a c4group archive (it starts {blob[:2].hex()})")
    try:
        data = zlib.decompress(b"\x1f\x8b" + blob[2:], wbits=31)
    except zlib.error as err:
        raise BadInputError(f"{where} is not a c4group archive: {err}") from None
    files: list[tuple[str, bytes]] = []

    def walk(group: bytes, prefix: str, depth: int) -> None:
        header = _c4_unscramble(group[:_C4_HEADER])
        if len(group) < _C4_HEADER or not header.startswith(b"RedWolf Design GrpFolder") or depth > 16:
            raise BadInputError(f"{where}: {prefix or 'the archive'} is not a c4group")
        (count,) = struct.unpack_from("<i", header, 36)
        base = _C4_HEADER + _C4_ENTRY * count
        if count < 0 or base > len(group):
            raise BadInputError(f"{where}: {prefix or 'the archive'} has a bad entry table")
        for index in range(count):
            entry = group[_C4_HEADER + _C4_ENTRY * index : _C4_HEADER + _C4_ENTRY * (index + 1)]
            name = entry[:260].split(b"\0", 1)[0].decode("latin-1")
            _packed, child, size, _unused, offset = struct.unpack_from("<iiIII", entry, 260)
            body = group[base + offset : base + offset + size]
            if len(body) != size or not name or "/" in name:
                raise BadInputError(f"{where}: {prefix}{name or '(no name)'} runs past its group")
            if child:
                walk(body, f"{prefix}{name}/", depth + 1)
            else:
                files.append((prefix + name, body))

    walk(data, "", 0)
    return files


_BALANCED = re.compile(r"\([^()]*\)")
_WORK = re.compile(r"[A-Za-z][\w:/.&*\-]*")
_GROUP_PREFIX = re.compile(r"^\s+([\w/]+):\s*$")
_AUTHOR_LINE = re.compile(r"^(\S[^\t]*?)[\s,]*-\s+(.*)$")


def _without_parentheses(text: str) -> str:
    while _BALANCED.search(text):
        text = _BALANCED.sub(" ", text)
    return text.split("(", 1)[0]  # an unclosed one runs to the end of the line


def _work_names(work: str) -> tuple[tuple[str, ...], re.Pattern[str]] | None:
    """A credited work ("Clonk/StepSoft1-6", "Fire/Spark1&2&3", "HingeCreak*", "UI::Confirmed") as its
    folder names and a pattern for the file's name without suffix; None for a word that is no work."""
    parts = [p for p in re.split(r"/|::", work.strip(".,:;")) if p]
    if not parts or not re.match(r"[A-Z]", parts[-1]):
        return None
    name = re.sub(r"\.(?:wav|ogg)$", "", parts[-1], flags=re.I)
    ranged = re.fullmatch(r"(\D+)(\d+)-(\d+)", name)
    listed = re.fullmatch(r"(\D+)(\d+(?:&\d+)+)", name)
    if ranged:
        stems = [f"{ranged[1]}{i}" for i in range(int(ranged[2]), int(ranged[3]) + 1)]
        names = "|".join(re.escape(stem) for stem in stems)
    elif listed:
        names = "|".join(re.escape(f"{listed[1]}{i}") for i in listed[2].split("&"))
    else:
        names = ".*".join(re.escape(piece) for piece in name.split("*"))
    return tuple(p.lower() for p in parts[:-1]), re.compile(f"(?:{names})", re.I)


def parse_openclonk_authors(text: str, keys: list[str]) -> tuple[dict[str, Statement], list[str]]:
    """Each key's licence and authors from OpenClonk's `Sound.ocg/authors.txt`.

    Its layout: "If not stated otherwise, the sound effects are licensed under the CC Attribution 3.0
    license"; lines `Author  - Work, Work (source URL), …` with indented continuation lines (some under a
    `Folder/Sub:` line that prefixes the names after it); then a section "licensed under the CC 0
    license" in the same layout. A work names a file by its name (`HingeCreak*`, `WoodHit1-3`), often
    with some of its folders (`Clonk/StepSoft1-6` for `Clonk/Movement/StepSoft1`). A file takes the
    credit whose folders all appear in its path, the one naming most of them when several do; failing
    that, one naming the file alone (the credits have typos, "Environemnt/Lightning/Thunder1"). A file no
    line names keeps the default licence and the team as its author.
    """
    stated_default = re.search(r"licensed under the\s+(.*?)\s+license", text, re.S | re.I)
    default = canonical_licence(stated_default[1]) if stated_default else ""
    if default not in ACCEPTED:
        raise BadInputError(
            "Sound.ocg/authors.txt no longer states an accepted default licence: read it again"
        )
    licence, author, prefix = default, "", ""
    credits: list[tuple[str, str, tuple[str, ...], re.Pattern[str], str]] = []
    for line in text.splitlines():
        low = line.lower()
        if "licensed under" in low and ("cc 0" in low or "cc0" in low or "public domain" in low):
            licence, author, prefix = "CC0-1.0", "", ""
            continue
        found = _AUTHOR_LINE.match(line)
        if found:
            author, works, prefix = found[1].strip(" ,"), found[2], ""
        elif line[:1] in (" ", "\t") and author:
            grouped = _GROUP_PREFIX.match(line)
            if grouped:
                prefix = grouped[1] + "/"
                continue
            works = line.strip().removeprefix("- ")
        else:
            continue
        for item in re.split(r",(?![^(]*\))", works):
            for word in _WORK.findall(_without_parentheses(item)):
                named = _work_names(prefix + word if "/" not in word and ":" not in word else word)
                if named:
                    credits.append((licence, author, named[0], named[1], " ".join(item.split())))
    statements: dict[str, Statement] = {}
    for key in keys:
        folders = [part.lower() for part in key.split("/")[:-1]]
        stem = Path(key).stem
        matches = [(c, sum(f in folders for f in c[2])) for c in credits if c[3].fullmatch(stem)]
        full = [(c, n) for c, n in matches if n == len(c[2])]
        best = max((n for _, n in full), default=None)
        chosen = [c for c, n in full if n == best] if full else [c for c, _ in matches]
        if not chosen:
            statements[key] = Statement(default, (), "Sound.ocg/authors.txt (default)")
            continue
        licences = {c[0] for c in chosen}
        stated = max(licences, key=lambda name: _RESTRICTION.get(name, 9))
        authors = _unique([c[1] for c in chosen])
        credit = "; ".join(dict.fromkeys(f"{c[1]}: {c[4]}" for c in chosen))
        statements[key] = Statement(stated, authors, "Sound.ocg/authors.txt", credit)
    return statements, []


READERS: dict[str, PackageReader] = {
    reader.name: reader
    for reader in (
        MinetestReader(),
        UfoaiReader(),
        OpenSfxReader(),
        FreedesktopReader(),
        TeeworldsReader(),
        SuperTuxKartReader(),
        RedEclipseReader(),
        ZeroADReader(),
        OpenClonkReader(),
        HedgewarsReader(),
        Cube2Reader(),
        LugaruReader(),
        WordwarviReader(),
        FlareReader(),
    )
}
DEFAULT_PACKAGES = tuple(READERS)


__all__ = [
    "ACCEPTED",
    "DEFAULT_PACKAGES",
    "LICENCE_NAMES",
    "LICENCE_URLS",
    "READERS",
    "Copyright",
    "DebContents",
    "Exclusion",
    "PackageReader",
    "SourceSound",
    "Statement",
    "canonical_licence",
    "licence_choice",
    "parse_copyright",
    "parse_minetest_readme",
    "parse_openclonk_authors",
    "parse_opensfx_name",
    "read_c4group",
    "read_cat",
    "read_deb",
]
