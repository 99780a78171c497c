"""The real-recordings corpus, built offline from miniature Debian packages laid out like the real ones.

Each fake .deb is a real `ar` archive with a control.tar and a data.tar (xz or gz) holding a DEP-5
debian/copyright (a GPL paragraph among them) and tiny sounds: Ogg Vorbis and WAV made here with
soundfile, ufoai's `.pk3` zip, OpenSFX's `.cat` catalogue in OpenTTD's format, and a WavPack file
(tests/fixtures/corpus/hit.wv). The builder reads them through `--debs`, so nothing is downloaded.
Set FOLEYKIT_REAL_DEBS to a folder of the real packages to also build from those.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from foleykit.corpus import load_corpus, read_clip
from foleykit.corpus.build import (
    TEST_FRACTION,
    assign_splits,
    build_corpus,
    convert,
    main,
    split_of,
    trim_silence,
    weights_licence,
)
from foleykit.corpus.captions import TABLE, check_table, lookup
from foleykit.corpus.sources import (
    DEFAULT_PACKAGES,
    canonical_licence,
    licence_choice,
    parse_copyright,
    parse_minetest_readme,
    parse_openclonk_authors,
    parse_opensfx_name,
    read_c4group,
    read_cat,
)
from foleykit.errors import BadInputError
from foleykit.synth import CLASSES

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"
RATE = 24000
DEP5_HEADER = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
MT = "usr/share/games/minetest/games/minetest_game/mods"

# ------------------------------------------------------------------------------------ fake packages


def _ar(members: list[tuple[str, bytes]]) -> bytes:
    out = b"!<arch>\n"
    for name, data in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode() + data
        out += b"\n" if len(data) % 2 else b""
    return out


def _tar(files: dict[str, bytes], links: dict[str, str], mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(f"./{name}")
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def make_deb(
    folder: Path,
    package: str,
    version: str,
    files: dict[str, bytes],
    copyright: str,
    links: dict[str, str] | None = None,
    compression: str = "xz",
) -> Path:
    control = f"Package: {package}\nVersion: {version}\nArchitecture: all\nHomepage: https://example.org/{package}\n"
    files = {f"usr/share/doc/{package}/copyright": copyright.encode(), **files}
    deb = folder / f"{package}_{version}_all.deb"
    deb.write_bytes(
        _ar(
            [
                ("debian-binary", b"2.0\n"),
                ("control.tar.gz", _tar({"control": control.encode()}, {}, "w:gz")),
                (f"data.tar.{compression}", _tar(files, links or {}, f"w:{compression}")),
            ]
        )
    )
    return deb


def sound(seconds: float, rate: int = 44100, *, freq: float = 300.0, lead: float = 0.0, tail: float = 0.0, seed: int = 0, channels: int = 1) -> np.ndarray:  # fmt: skip
    """A decaying knock (sine + noise) of `seconds`, with `lead`/`tail` seconds of digital silence."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    body = (np.sin(2 * np.pi * freq * t) + 0.3 * rng.standard_normal(t.size)) * np.exp(-t / (seconds / 4))
    audio = np.concatenate([np.zeros(int(lead * rate)), 0.5 * body, np.zeros(int(tail * rate))])
    return np.repeat(audio[:, None], channels, axis=1).astype(np.float32)


def crackle(seconds: float, rate: int = 44100, seed: int = 1) -> np.ndarray:
    """Fire-like noise whose level dips every 3 s, so a long recording has quiet places to cut."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    level = 0.3 + 0.7 * np.abs(np.sin(np.pi * t / 3.0))
    return (0.4 * level * rng.standard_normal(t.size)).astype(np.float32)[:, None]


def encoded(audio: np.ndarray, rate: int = 44100, fmt: str = "OGG") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, audio, rate, format=fmt, subtype="VORBIS" if fmt == "OGG" else "PCM_16")
    return buffer.getvalue()


def make_cat(entries: list[tuple[str, bytes]]) -> bytes:
    """OpenTTD's sound catalogue: (offset | bit 31, size) pairs, then length byte + name + NUL + WAV."""
    table, body, offsets = 8 * len(entries), b"", []
    for name, wav in entries:
        raw = name.encode() + b"\0"
        offsets.append((table + len(body), len(wav)))
        body += bytes([len(raw)]) + raw + wav
    return b"".join(struct.pack("<II", o | 0x80000000, s) for o, s in offsets) + body


MINETEST_COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Minetest

Files: *
Copyright: 2010-2022, celeron55, Perttu Ahola <celeron55@gmail.com>
License: LGPL-2.1+

Files: *.ogg
       *.png
Copyright: 2010-2016, celeron55, Perttu Ahola <celeron55@gmail.com>
           2012-2016, PilzAdam
License: CC-BY-SA-3.0

Files: mtg/mods/tnt/*
       mtg/mods/carts/*
Copyright: 2012-2016, PilzAdam
License: MIT

Files: mtg/mods/tnt/sounds/*
Copyright: no-copyright
License: CC0-1.0

Files: mtg/mods/doors/*
Copyright: 2012 Someone
License: GPL-2+

License: GPL-2+
 On Debian systems, see /usr/share/common-licenses/GPL-2.
"""

MINETEST_README = """\
Minetest Game mod: default
==========================

Authors of media (textures, sounds, models and schematics)
----------------------------------------------------------
Everything not listed in here:
celeron55, Perttu Ahola <celeron55@gmail.com> (CC BY-SA 3.0)

Mito551 (sounds) (CC BY-SA 3.0):
  default_gravel_footstep.*.ogg

Metal sounds:
  default_dig_metal.ogg - yadronoff - CC-BY-3.0
  - https://www.freesound.org/people/yadronoff/sounds/320397/

Erdie (CC BY 3.0):
https://freesound.org/people/Erdie/sounds/41579/
  default_wood_footstep.*.ogg
"""

UFO_COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: UFO Alien Invasion

Files: *
Copyright: 2002-2014, The UFO:AI Team
License: GPL-2+

Files:
 base/sound/footsteps/stone1.ogg
 base/sound/footsteps/stone2.ogg
 base/sound/weapons/melee-swoosh.ogg
 base/sound/aliens/ortnok/die1.ogg
Copyright:
 "Marine" Baklund
 Gren
License: CC-BY-SA-3.0

Files:
 base/sound/ambience/fire1.ogg
Copyright:
 OpenArena
License: GPL-2

Files:
 base/sound/misc/breakwood02.ogg
Copyright:
 Independent.nu
License: public-domain
"""

OPENSFX_COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: OpenSFX

Files: *
Copyright: Various authors.
License: GPL-2+ or CDDL

Files: src/wav/*
Copyright: Various authors. See readme.ptxt and opensfx.psfo for details.
License: CC-BY-SA-3.0
"""

FREEDESKTOP_COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: stereo/complete.oga
Copyright: Dr. Richard Boulanger et al
License: CC-BY-3.0

Files: stereo/camera-shutter.oga stereo/screen-capture.oga
Copyright: freesound user horsthorstensen
License: CC-BY-SA-3.0

Files: stereo/service-login.oga
Copyright: The Pidgin developers
License: GPL-2
"""

TEEWORLDS_COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2007-2018 Magnus Auvinen and contributors
License: Zlib

Files: datasrc/*
       data/*
Copyright: Magnus Auvinen and contributors
License: CC-BY-SA-3.0
"""

# supertuxkart-data's layout: code GPL-3+ by default, each sound file its own paragraph
STK_COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2006-2022 SuperTuxKart-Team
License: GPL-3+

Files: data/sfx/anvil.ogg
Copyright: Battle for Wesnoth team
License: GPL-2+

Files: data/sfx/clock.ogg
Copyright: Not applicable---public domain by Natalie, published April 29, 2007
License: public-domain
Comment: Source: pdsounds.org clock_ticking

Files: data/sfx/engine_small.ogg
Copyright: 2012 Ivan "qubodup" Gabovitch
License: CC-BY-SA-3.0 or GPL-3 or GPL-2

Files: data/music/farm.ogg
Copyright: 2008 Matthew Whitlock
License: CC-BY-SA-3.0
"""


def _c4_scramble(header: bytes) -> bytes:
    """C4Group's MemScramble, written from its description (XOR 237, then swap bytes 0 and 2 of each 3)."""
    out = bytearray(b ^ 237 for b in header)
    for i in range(0, len(out) - 2, 3):
        out[i], out[i + 2] = out[i + 2], out[i]
    return bytes(out)


def _c4_group(tree: dict[str, object]) -> bytes:
    """An uncompressed c4group: scrambled header, 316-byte entries, then the members (dicts are groups)."""
    bodies = [(name, _c4_group(value) if isinstance(value, dict) else value) for name, value in tree.items()]
    header = b"RedWolf Design GrpFolder".ljust(28, b"\0") + struct.pack("<iii", 1, 2, len(bodies))
    entries, data = b"", b""
    for name, body in bodies:
        child = isinstance(tree[name], dict)
        core = name.encode().ljust(260, b"\0") + struct.pack(
            "<iiIIII", 0, int(child), len(body), 0, len(data), 0
        )
        entries += core.ljust(316, b"\0")
        data += body  # type: ignore[operator]
    return _c4_scramble(header.ljust(204, b"\0")) + entries + data


def make_c4group(tree: dict[str, object]) -> bytes:
    """An OpenClonk `.ocg` file: a c4group, gzipped, with the gzip magic bytes changed to 1e 8c."""
    return b"\x1e\x8c" + gzip.compress(_c4_group(tree))[2:]


OPENCLONK_AUTHORS = """\
If not stated otherwise, the sound effects are licensed under the
CC Attribution 3.0 license (http://creativecommons.org/licenses/by/3.0/)

Author        Work(s)
===============================================================================

ala             - Fire/Spark1&2&3, Structures/DoorOpen*
                  Clonk/Skin/Adventurer:
                     Hurt1&2&3
HerbertBoland\t- WoodHit1-3 (http://www.freesound.org/people/HerbertBoland/sounds/33206/)
Checkmaty       - Shield/WoodHit1-3, Shield/MetalHit1-4
cmusounddesign\t- HingeCreak* (http://freesound.org/people/cmusounddesign/sounds/126302/)
xerana          - Environemnt/Lightning/Thunder1 (https://www.freesound.org/people/xerana/sounds/199638/ adapted by Maikel)

The following sound effects are licensed under the CC 0 license (public domain):

alienistcog\t\t- WoodCreak1-3 (http://freesound.org/people/alienistcog/sounds/123712/)
"""

OPENCLONK_COPYRIGHT = """\
This package was debianized by someone.

License:

   The OpenClonk engine is licensed under the terms of the ISC license.

   Some files belonging to the game content are licensed under the
   Creative Commons Attribution 3.0 license[1] or the Creative Commons
   CC0 (public domain) license[2].

   [1] http://creativecommons.org/licenses/by/3.0/
   [2] http://creativecommons.org/publicdomain/zero/1.0/
"""


def make_fake_debs(folder: Path) -> Path:
    """Fourteen miniature packages, one per reader, in the real packages' layouts (a build never fetches)."""
    folder.mkdir(parents=True, exist_ok=True)
    ogg = encoded
    make_deb(
        folder,
        "minetest-data",
        "5.6.1+dfsg-2",
        {
            f"{MT}/default/README.txt": MINETEST_README.encode(),
            f"{MT}/default/sounds/default_gravel_footstep.1.ogg": ogg(sound(0.3, lead=0.4, tail=0.5, seed=1)),
            f"{MT}/default/sounds/default_gravel_footstep.2.ogg": ogg(sound(0.3, seed=2)),
            f"{MT}/default/sounds/default_gravel_footstep.3.ogg": ogg(sound(0.3, seed=3)),
            f"{MT}/default/sounds/default_wood_footstep.1.ogg": ogg(sound(0.25, freq=150, seed=4)),
            f"{MT}/default/sounds/default_dig_metal.ogg": ogg(sound(0.3, freq=900, seed=5)),
            f"{MT}/default/sounds/default_cool_lava.1.ogg": ogg(sound(0.4, freq=2000, seed=6)),
            f"{MT}/default/sounds/default_mystery_noise.ogg": ogg(sound(0.3, seed=7)),
            f"{MT}/default/sounds/default_dig_cracky.1.ogg": ogg(sound(0.05, seed=8)),
            f"{MT}/fire/sounds/fire_fire.1.ogg": ogg(crackle(13.0)),
            f"{MT}/tnt/sounds/tnt_explode.ogg": ogg(sound(0.6, freq=60, seed=9)),
            f"{MT}/carts/sounds/carts_cart_moving.1.ogg": ogg(sound(0.3, seed=10)),
            f"{MT}/doors/sounds/doors_door_close.ogg": ogg(sound(0.3, freq=120, seed=11)),
        },
        MINETEST_COPYRIGHT,
    )
    pk3 = io.BytesIO()
    with zipfile.ZipFile(pk3, "w") as archive:
        archive.writestr("sound/footsteps/stone1.ogg", ogg(sound(0.3, freq=500, seed=12, channels=2)))
        archive.writestr("sound/footsteps/stone2.ogg", ogg(sound(0.3, freq=520, seed=13, channels=2)))
        archive.writestr("sound/weapons/melee-swoosh.ogg", ogg(sound(0.4, freq=700, seed=14)))
        archive.writestr("sound/aliens/ortnok/die1.ogg", ogg(sound(0.4, seed=15)))
        archive.writestr("sound/ambience/fire1.ogg", ogg(crackle(1.0, seed=16)))
        archive.writestr("sound/misc/breakwood02.ogg", ogg(sound(0.5, freq=200, seed=17, channels=2)))
    make_deb(
        folder,
        "ufoai-sound",
        "2.5-2",
        {"usr/share/games/ufoai/base/0snd.pk3": pk3.getvalue()},
        UFO_COPYRIGHT,
        compression="gz",
    )
    by_lukss = "By Janis Lukss. License: Creative Commons Attribution 3.0 Unported."
    cat = make_cat(
        [
            ('"Explosion". ' + by_lukss, encoded(sound(1.0, freq=50, seed=18), fmt="WAV")),
            ('"Beep". ' + by_lukss, encoded(sound(0.05, freq=1000, seed=19), fmt="WAV")),
            (
                '"Unused/Nothing". Trivial empty sound file. License: Creative Commons Zero 1.0.',
                encoded(np.zeros((0, 1)), fmt="WAV"),
            ),
            (
                '"Wind". Original "wind1.wav" by "Anton". Edited by Janis Lukss. License: Creative Commons Attribution 3.0 Unported.',
                encoded(crackle(2.0, seed=20), fmt="WAV"),
            ),
            (
                '"Tropical: Bird (1)". Original "Bird Noise - 1.wav" by "SpaceJoe". Edited by "Wuzzy". License: Creative Commons Zero 1.0.',
                encoded(sound(0.5, freq=3000, seed=21), fmt="WAV"),
            ),
            (
                '"Tropical: Bird (2)". Original "Bird Noise - 12.wav" by "SpaceJoe". Edited by "Wuzzy". License: Creative Commons Zero 1.0.',
                encoded(sound(0.5, freq=3500, seed=22), fmt="WAV"),
            ),
        ]
    )
    make_deb(
        folder,
        "openttd-opensfx",
        "1.0.3-2",
        {"usr/share/games/openttd/baseset/opensfx/opensfx.cat": cat},
        OPENSFX_COPYRIGHT,
    )
    stereo = "usr/share/sounds/freedesktop/stereo"
    make_deb(
        folder,
        "sound-theme-freedesktop",
        "0.8-2",
        {
            f"{stereo}/complete.oga": ogg(sound(0.8, freq=1200, seed=23, channels=2)),
            f"{stereo}/camera-shutter.oga": ogg(sound(0.3, freq=4000, seed=24, channels=2)),
            f"{stereo}/service-login.oga": ogg(sound(0.5, seed=25, channels=2)),
        },
        FREEDESKTOP_COPYRIGHT,
        links={f"{stereo}/screen-capture.oga": "camera-shutter.oga"},
    )
    make_deb(
        folder,
        "teeworlds-data",
        "0.7.5-2",
        {"usr/share/games/teeworlds/data/audio/foley_body_impact-01.wv": (FIXTURES / "hit.wv").read_bytes()},
        TEEWORLDS_COPYRIGHT,
    )
    stk = "usr/share/games/supertuxkart/data"
    make_deb(
        folder,
        "supertuxkart-data",
        "1.4+dfsg-2",
        {
            f"{stk}/sfx/clock.ogg": ogg(sound(1.5, freq=2500, seed=31)),
            f"{stk}/sfx/engine_small.ogg": ogg(sound(2.0, freq=90, seed=32)),
            f"{stk}/sfx/anvil.ogg": ogg(sound(0.6, freq=900, seed=33)),  # GPL: excluded
            f"{stk}/music/farm.ogg": ogg(
                sound(1.0, freq=440, seed=34)
            ),  # accepted licence, but music: skipped
        },
        STK_COPYRIGHT,
    )
    make_deb(
        folder,
        "redeclipse-data",
        "1.6.0-1",
        {"usr/share/games/redeclipse/data/sounds/player/concstep.ogg": ogg(sound(0.4, freq=300, seed=35))},
        DEP5_HEADER + "Files: *\nCopyright: 2009-2017, Red Eclipse Team\nLicense: CC-BY-SA-3.0+\n",
    )
    public = io.BytesIO()  # 0 A.D.'s sounds sit in one zip beside its art
    with zipfile.ZipFile(public, "w") as archive:
        archive.writestr("audio/actor/singlesteps/fs_wood1.ogg", ogg(sound(0.3, freq=180, seed=36)))
        archive.writestr("audio/attack/weapon/swordhit_10.ogg", ogg(sound(0.4, freq=1400, seed=37)))
        archive.writestr("audio/voice/greek/civ/civ_male_attack_1.ogg", ogg(sound(0.5, seed=38)))
        archive.writestr("art/textures/skies/cloud.ogg", ogg(sound(0.5, seed=39)))  # not under audio/
    make_deb(
        folder,
        "0ad-data",
        "0.0.26-1",
        {"usr/share/games/0ad/mods/public/public.zip": public.getvalue()},
        DEP5_HEADER + "Files: *\nCopyright: 2010 Wildfire Games\nLicense: CC-BY-SA-3.0\n\n"
        "Files: binaries/data/tools/fontbuilder/fonts/FreeMono.ttf\nCopyright: 2002 FSF\nLicense: GPL-3+\n",
        compression="gz",
    )
    sounds = make_c4group(  # OpenClonk's sounds sit in one c4group archive, credited by its authors.txt
        {
            "Structures.ocg": {"HingeCreak1.ogg": ogg(sound(0.6, freq=1800, seed=40))},
            "Hits.ocg": {
                "Materials.ocg": {"Wood.ocg": {"WoodCreak1.ogg": ogg(sound(0.4, freq=250, seed=41))}}
            },
            "Clonk.ocg": {
                "Skin.ocg": {"Adventurer.ocg": {"Hurt1.wav": encoded(sound(0.4, seed=42), fmt="WAV")}}
            },
            "authors.txt": OPENCLONK_AUTHORS.encode(),
        }
    )
    make_deb(
        folder,
        "openclonk-data",
        "8.1-3",
        {"usr/share/games/openclonk/Sound.ocg": sounds},
        OPENCLONK_COPYRIGHT,
    )
    hedgewars = "usr/share/games/hedgewars/Data/Sounds"
    make_deb(
        folder,
        "hedgewars-data",
        "1.0.2-6",
        {
            f"{hedgewars}/Droplet1.ogg": ogg(sound(0.3, freq=1500, seed=43)),
            f"{hedgewars}/bump.ogg": ogg(sound(0.3, freq=200, seed=44)),  # GFDL-1.3: excluded
        },
        DEP5_HEADER + "Files: *\nCopyright: 2004-2018 Andrey Korotaev\nLicense: GPL-2\n\n"
        "Files: share/hedgewars/Data/Sounds/*\nCopyright: 2004 Andrey Korotaev\nLicense: GFDL-1.3\n\n"
        "Files: share/hedgewars/Data/Sounds/Droplet*.ogg\nCopyright: saugox\nLicense: CC-BY-SA-3.0\n",
    )
    cube2 = "usr/share/games/cube2/packages/sounds"
    make_deb(
        folder,
        "cube2-data",
        "1.3-1",
        {
            f"{cube2}/olpc/MichaelBierylo/sfx_DoorSlam.wav": encoded(
                sound(0.5, freq=100, seed=45), fmt="WAV"
            ),
            f"{cube2}/aard/bang.wav": encoded(sound(0.3, seed=46), fmt="WAV"),  # public domain, a game cue
            f"{cube2}/q009/explosion.ogg": ogg(sound(0.8, freq=60, seed=49)),
        },
        DEP5_HEADER + "Files: *\nCopyright: Mozilla Foundation\nLicense: CC-BY-3.0\n\n"
        "Files: packages/sounds/olpc/*\nCopyright: OLPC project\nLicense: CC-BY-3.0\n\n"
        "Files: packages/sounds/aard/*\nCopyright: aard\nLicense: public-domain\n\n"
        "Files: packages/sounds/q009/*\nCopyright: Slawomir 'Q009' Blauciak\nLicense: CC-BY-SA-3.0\n",
    )
    make_deb(
        folder,
        "lugaru-data",
        "1.2-6",
        {"usr/share/games/lugaru/Sounds/FootStepStone1.ogg": ogg(sound(0.3, freq=400, seed=47))},
        DEP5_HEADER + "Files: *\nCopyright: 2003 Wolfire Games\nLicense: GPL-2+\n\n"
        "Files: Data/*\nCopyright: 2003 Wolfire Games\nLicense: CC-BY-SA-3.0\n",
    )
    make_deb(
        folder,
        "wordwarvi-sound",
        "1.0.4-2",
        {"usr/share/wordwarvi/sounds/metalbang1.ogg": ogg(sound(0.6, freq=800, seed=48))},
        DEP5_HEADER + "Files: *\nCopyright: 2007 Stephen M. Cameron\nLicense: GPL-2.0+\n\n"
        "Files: sounds/*\nCopyright: 2008 Stephen M. Cameron\nLicense: CC-BY-SA-3.0\n",
    )
    flare = "usr/share/games/flare/mods/fantasycore"
    make_deb(
        folder,
        "flare-game",
        "1.14-1",
        {
            f"{flare}/soundfx/heartbeat.ogg": ogg(sound(0.4, freq=60, seed=50)),
            f"{flare}/music/title_theme.ogg": ogg(sound(0.5, freq=440, seed=51)),  # accepted, but music
        },
        DEP5_HEADER + "Files: *\nCopyright: 2012-2021 Clint Bellanger and others\nLicense: CC-BY-SA-3.0+\n\n"
        "Files: debian/*\nCopyright: 2013 Manuel A. Fernandez Montecelo\nLicense: GPL-3+\n",
    )
    return folder


@pytest.fixture(scope="module")
def fake_debs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_debs(tmp_path_factory.mktemp("debs"))


@pytest.fixture(scope="module")
def corpus(fake_debs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "corpus"
    build_corpus(out, debs=fake_debs, progress=False, command=["test"])
    return out


def rows_of(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]


def by_source(corpus: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows_of(corpus):
        out.setdefault(row["source_path"].rsplit("/", 1)[-1].rsplit("!", 1)[-1], []).append(row)
    return out


# ------------------------------------------------------------------------------------ the built corpus


def test_gpl_and_other_unaccepted_files_are_excluded(corpus: Path) -> None:
    kept = {r["source_path"] for r in rows_of(corpus)}
    assert not any(s.endswith(("doors_door_close.ogg", "fire1.ogg", "service-login.oga")) for s in kept)
    assert not any("carts" in s for s in kept), "MIT (Expat) is not an accepted licence"
    record = json.loads((corpus / "build.json").read_text())
    reasons = {Path(e["path"].split("!")[-1]).name: e["reason"] for e in record["excluded_files"]}
    assert reasons["doors_door_close.ogg"].startswith("GPL-2+ (debian/copyright, Files: mtg/mods/doors/*")
    assert reasons["fire1.ogg"].startswith("GPL-2 (debian/copyright")
    assert reasons["service-login.oga"].startswith("GPL-2 ")
    assert reasons["carts_cart_moving.1.ogg"].startswith("MIT")
    assert "a link to camera-shutter.oga" in reasons["screen-capture.oga"]
    assert record["excluded"]["licence"]["GPL-2+"] == 2 and record["excluded"]["licence"]["GPL-2"] == 2


def test_the_five_smaller_packages_read_their_sound_folders_paragraphs(corpus: Path) -> None:
    rows = {Path(r["source_path"]).name: r for r in rows_of(corpus)}
    assert rows["Droplet1.ogg"]["licence"] == "CC-BY-SA-3.0" and rows["Droplet1.ogg"]["label"] == "water_drip"
    assert (
        rows["sfx_DoorSlam.wav"]["licence"] == "CC-BY-3.0"
        and rows["sfx_DoorSlam.wav"]["label"] == "door_slam"
    )
    assert rows["FootStepStone1.ogg"]["licence"] == "CC-BY-SA-3.0"  # Data/*, not the code's GPL-2+
    assert rows["FootStepStone1.ogg"]["authors"] == ["Wolfire Games"]
    assert (
        rows["metalbang1.ogg"]["label"] == "metal_clang"
        and rows["metalbang1.ogg"]["licence"] == "CC-BY-SA-3.0"
    )
    assert (
        rows["explosion.ogg"]["licence"] == "CC-BY-SA-3.0" and rows["explosion.ogg"]["label"] == "explosion"
    )
    assert rows["sfx_DoorSlam.wav"]["authors"] == ["OLPC project"]
    assert "bang.wav" not in rows, "a game cue, skipped by the caption table"
    assert (
        rows["heartbeat.ogg"]["label"] == "heartbeat" and rows["heartbeat.ogg"]["licence"] == "CC-BY-SA-3.0"
    )
    assert "title_theme.ogg" not in rows, "music, skipped by the caption table"
    record = json.loads((corpus / "build.json").read_text())
    reasons = {Path(e["path"]).name: e["reason"] for e in record["excluded_files"]}
    assert reasons["bump.ogg"].startswith("GFDL-1.3 (debian/copyright, Files: share/hedgewars/Data/Sounds/*")


def test_canonical_licence_never_reads_a_grant_into_mixed_or_non_free_terms() -> None:
    for text in (
        "GPL-2 / CC-BY-SA-3.0",
        "CC-BY-SA-3.0 (with GPL-2 parts)",
        "Creative Commons Attribution 3.0 and GPL-2",
        "GPL-2 or later; see Creative Commons Attribution 3.0",
        "CC BY-NC-SA 3.0",
        "CC BY 3.0 / CC0",
    ):
        assert canonical_licence(text) not in ("CC0-1.0", "CC-BY-3.0", "CC-BY-SA-3.0"), text
    assert canonical_licence("Creative Commons Attribution 3.0 Unported") == "CC-BY-3.0"
    assert canonical_licence("CC-BY-SA-3") == "CC-BY-SA-3.0"


def test_a_manifest_naming_another_licence_is_refused(corpus: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(corpus, copy)
    lines = (copy / "manifest.jsonl").read_text().splitlines()
    row = json.loads(lines[0])
    lines[0] = json.dumps({**row, "licence": "GPL-2"})
    (copy / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInputError, match=r"line 1: licence 'GPL-2' is not one foleykit trains on"):
        load_corpus(copy)


def test_licence_per_file_most_specific_paragraph_and_own_statements(corpus: Path) -> None:
    sources = {name: rows[0] for name, rows in by_source(corpus).items()}
    # DEP-5 alone: *.ogg (CC BY-SA) < tnt/* (MIT) < tnt/sounds/* (CC0): the last, most specific, wins
    assert sources["tnt_explode.ogg"]["licence"] == "CC0-1.0"
    assert sources["tnt_explode.ogg"]["licence_url"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    # the mod's README names each file's author and licence
    assert sources["default_gravel_footstep.1.ogg"]["authors"] == ["Mito551"]
    assert sources["default_gravel_footstep.1.ogg"]["licence"] == "CC-BY-SA-3.0"
    # the README says CC BY 3.0, debian/copyright's *.ogg paragraph CC BY-SA 3.0: the stricter is kept
    assert (sources["default_dig_metal.ogg"]["licence"], sources["default_dig_metal.ogg"]["authors"]) == (
        "CC-BY-SA-3.0",
        ["yadronoff"],
    )
    assert sources["default_wood_footstep.1.ogg"]["authors"] == ["Erdie"]
    assert sources["default_cool_lava.1.ogg"]["authors"] == ["celeron55, Perttu Ahola"], "the README default"
    # ufoai: the file's own paragraph; OpenSFX: the entry name; freedesktop: one paragraph per file
    assert sources["stone1.ogg"]["licence"] == "CC-BY-SA-3.0"
    assert sources["stone1.ogg"]["authors"] == ['"Marine" Baklund', "Gren"]
    assert sources["breakwood02.ogg"]["licence"] == "public-domain"
    # entries name CC BY 3.0 and CC0; debian/copyright licenses the collection CC BY-SA 3.0: the
    # stricter terms are kept, the entry's own authors too
    assert sources["opensfx.cat#03"]["licence"] == "CC-BY-SA-3.0"
    assert sources["opensfx.cat#03"]["authors"] == ["Anton", "Janis Lukss"]
    assert sources["opensfx.cat#00"]["authors"] == ["Janis Lukss"]
    assert sources["opensfx.cat#04"]["licence"] == "CC-BY-SA-3.0"
    assert sources["complete.oga"]["licence"] == "CC-BY-3.0"
    assert sources["complete.oga"]["authors"] == ["Dr. Richard Boulanger et al"]


def test_clips_are_mono_at_the_rate_peak_normalised_and_trimmed(corpus: Path) -> None:
    rows = rows_of(corpus)
    for row in rows:
        info = sf.info(corpus / row["path"])
        assert (info.channels, info.samplerate, info.subtype) == (1, RATE, "PCM_16")
        assert abs(info.frames / RATE - row["seconds"]) < 1e-3
        audio, _ = sf.read(corpus / row["path"], dtype="float32")
        assert 20 * np.log10(np.max(np.abs(audio))) == pytest.approx(-1.0, abs=0.01)
        assert 0.15 <= row["seconds"] <= 10.0
    # 0.4 s of silence before and 0.5 s after a 0.3 s knock: what is left is the knock and 20 ms margins
    trimmed = by_source(corpus)["default_gravel_footstep.1.ogg"][0]
    assert 0.25 < trimmed["seconds"] < 0.3 + 0.04 + 0.03, "(Vorbis smears the abrupt end a little)"
    audio, _ = sf.read(corpus / trimmed["path"], dtype="float32")
    head = np.flatnonzero(np.abs(audio) >= np.max(np.abs(audio)) * 1e-3)[0]
    assert head / RATE == pytest.approx(0.02, abs=0.002), "20 ms kept before the first sound"


def test_long_recordings_become_pieces_of_at_most_ten_seconds_in_one_split(corpus: Path) -> None:
    pieces = by_source(corpus)["fire_fire.1.ogg"]
    assert len(pieces) == 2 and [p["piece"] for p in pieces] == [1, 2]
    assert all(p["pieces"] == 2 and p["seconds"] <= 10.0 for p in pieces)
    assert sum(p["seconds"] for p in pieces) == pytest.approx(13.0, abs=0.1)
    assert len({p["split"] for p in pieces}) == 1
    assert {p["label"] for p in pieces} == {"fire_crackle"}


def test_split_is_by_source_with_a_test_file_per_class(corpus: Path) -> None:
    rows = rows_of(corpus)
    splits: dict[str, set[str]] = {}
    for row in rows:
        splits.setdefault(f"{row['package']}:{row['source_path']}", set()).add(row["split"])
    assert all(len(s) == 1 for s in splits.values()), "pieces of a recording never straddle splits"
    per_label: dict[str | None, dict[str, set]] = {}
    for row in rows:
        per_label.setdefault(row["label"], {}).setdefault(row["split"], set()).add(row["source_path"])
    for label, by_split in per_label.items():
        recordings = {source for sources in by_split.values() for source in sources}
        if label is not None and len(recordings) >= 2:
            assert by_split.get("test"), f"{label}: a class of two or more recordings holds one out"
    assert set(per_label["explosion"]) == {"train", "test"}, "two recordings: one of them held out"


def test_adding_recordings_never_moves_one_between_splits() -> None:
    """Each recording's split is its own hash against TEST_FRACTION; only a class's forced pick (its lowest,
    when none falls under the fraction) can move, and only back to train."""
    sources = [("pkg", f"sounds/clip{i:03d}.ogg") for i in range(400)]
    before = assign_splits({"wind": sources[:250], None: sources[250:300]})
    after = assign_splits({"wind": sources[:250] + sources[300:], None: sources[250:300]})
    assert all(after[s] == split for s, split in before.items())
    share = np.mean([after[s] == "test" for s in sources[:250] + sources[300:]])
    assert abs(share - TEST_FRACTION) < 0.06
    # a small class: its lowest recording is held out while none falls under the fraction
    trains = sorted((s for s in sources if split_of(*s) >= TEST_FRACTION), key=lambda s: split_of(*s))
    pair, lower = trains[-2:], trains[0]
    assert assign_splits({"bell": pair}) == {pair[0]: "test", pair[1]: "train"}
    assert assign_splits({"bell": pair[1:]}) == {pair[1]: "train"}, "one recording: nothing to hold out"
    moved = assign_splits({"bell": [*pair, lower]})  # a lower one arrives: the pick moves, back to train
    assert moved == {lower: "test", pair[0]: "train", pair[1]: "train"}


def test_split_is_deterministic(fake_debs: Path, corpus: Path, tmp_path: Path) -> None:
    packages = [
        "flare-game",
        "wordwarvi-sound",
        "lugaru-data",
        "cube2-data",
        "hedgewars-data",
        "openclonk-data",
        "0ad-data",
        "redeclipse-data",
        "supertuxkart-data",
        "teeworlds-data",
        "sound-theme-freedesktop",
        "openttd-opensfx",
        "ufoai-sound",
        "minetest-data",
    ]
    rebuilt = build_corpus(tmp_path / "c", packages, debs=fake_debs, progress=False)
    assert {r["path"]: r["split"] for r in rebuilt.rows} == {r["path"]: r["split"] for r in rows_of(corpus)}


def test_manifest_captions_and_classes(corpus: Path) -> None:
    rows = rows_of(corpus)
    keys = {"path", "label", "captions", "split", "seconds", "sample_rate", "package", "package_version"}
    keys |= {"source_path", "authors", "licence", "licence_url"}
    for row in rows:
        assert keys <= set(row)
        assert len(row["captions"]) == 3 and len(set(row["captions"])) == 3
        assert row["label"] is None or row["label"] in CLASSES
        assert row["path"].startswith(f"clips/{row['package']}/") and row["path"].endswith(".wav")
    names = {r["path"].rsplit("/", 1)[1]: r for r in rows}
    assert names["default_gravel_footstep_1.wav"]["label"] == "footsteps_gravel"
    assert names["footsteps_stone1.wav"]["label"] == "footsteps_concrete"
    assert names["weapons_melee-swoosh.wav"]["label"] == "whoosh"
    assert names["default_cool_lava_1.wav"]["label"] is None
    assert names["default_cool_lava_1.wav"]["captions"][0] == "a sizzling hiss"
    assert names["03_wind.wav"]["label"] == "wind"
    assert names["actor_singlesteps_fs_wood1.wav"]["label"] == "footsteps_wood"
    assert names["attack_weapon_swordhit_10.wav"]["label"] == "metal_clang"
    zero_ad = [r for r in rows if r["package"] == "0ad-data"]
    assert len(zero_ad) == 2 and {r["licence"] for r in zero_ad} == {"CC-BY-SA-3.0"}, (
        "voices and art left out"
    )
    assert all(
        r["source_path"].startswith("usr/share/games/0ad/mods/public/public.zip!audio/") for r in zero_ad
    )
    assert not any("ortnok" in r["source_path"] for r in rows), "creature voices are skipped"
    clonk = {r["source_path"].rsplit("!", 1)[1]: r for r in rows if r["package"] == "openclonk-data"}
    assert set(clonk) == {
        "Structures.ocg/HingeCreak1.ogg",
        "Hits.ocg/Materials.ocg/Wood.ocg/WoodCreak1.ogg",
    }, "the voice is skipped, authors.txt is not a sound"
    hinge = clonk["Structures.ocg/HingeCreak1.ogg"]
    assert (hinge["label"], hinge["licence"], hinge["authors"]) == (
        "door_creak",
        "CC-BY-3.0",
        ["cmusounddesign"],
    )
    creak = clonk["Hits.ocg/Materials.ocg/Wood.ocg/WoodCreak1.ogg"]
    assert (creak["label"], creak["licence"], creak["authors"]) == (None, "CC0-1.0", ["alienistcog"])
    record = json.loads((corpus / "build.json").read_text())
    assert record["unmapped"]["minetest-data"] == [
        "minetest_game/mods/default/sounds/default_mystery_noise.ogg"
    ], "unmapped files are listed for the table to grow"
    assert record["counts"]["per_package"]["minetest-data"]["unmapped"] == 1
    audio_reasons = {e["path"].rsplit("/", 1)[-1]: e["reason"] for e in record["excluded_files"] if e["kind"] == "audio"}  # fmt: skip
    assert audio_reasons["default_dig_cracky.1.ogg"].startswith("shorter than 0.15 s")
    assert "opensfx.cat#01" in audio_reasons, "the 50 ms Beep is too short"
    assert record["excluded"]["skipped"]["skipped: an empty placeholder"] == 1


def test_wavpack_needs_wvunpack(corpus: Path) -> None:
    rows = [r for r in rows_of(corpus) if r["package"] == "teeworlds-data"]
    record = json.loads((corpus / "build.json").read_text())
    if shutil.which("wvunpack"):
        assert [r["label"] for r in rows] == ["punch_impact"]
        assert rows[0]["seconds"] == pytest.approx(0.35 - 0.025 - 0.08 + 0.04, abs=0.05)
    else:
        assert rows == []
        assert any("wvunpack" in note and "teeworlds-data" in note for note in record["notes"])


def test_attribution_and_licence_note(corpus: Path) -> None:
    text = (corpus / "ATTRIBUTION.md").read_text()
    assert "converted to mono WAV, resampled to 24000 Hz, trimmed" in text
    attribution = json.loads((corpus / "attribution.json").read_text())
    files = [f for p in attribution["packages"] for f in p["files"]]
    assert len(files) == len({(r["package"], r["source_path"]) for r in rows_of(corpus)})
    for f in files:
        assert f["source_path"] in text and f["licence_url"] in text and f["title"] in text
        assert all(author in text for author in f["authors"])
    assert "“Wind” by Anton, Janis Lukss." in text
    assert "## minetest-data 5.6.1+dfsg-2" in text and "tracker.debian.org/pkg/minetest-data" in text
    note = (corpus / "LICENSE-NOTE.md").read_text()
    assert "**CC-BY-SA-4.0**" in note
    assert json.loads((corpus / "build.json").read_text())["weights_licence"]["licence"] == "CC-BY-SA-4.0"


def test_weights_licence_rule() -> None:
    assert weights_licence({"CC0-1.0", "CC-BY-SA-3.0", "CC-BY-3.0"})["licence"] == "CC-BY-SA-4.0"
    assert weights_licence({"CC0-1.0", "CC-BY-3.0"})["licence"] == "CC-BY-4.0"
    assert weights_licence({"CC0-1.0", "public-domain"})["licence"] == "none required"


def test_load_corpus_and_read_clip(corpus: Path) -> None:
    clips = load_corpus(corpus)
    test = load_corpus(corpus, split="test")
    assert len(clips) == len(rows_of(corpus)) and 0 < len(test) < len(clips)
    assert all(c.split == "test" for c in test)
    clip = next(c for c in clips if c.label == "footsteps_gravel")
    audio = read_clip(clip, 16000)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert audio.size == pytest.approx(clip.seconds * 16000, abs=2)
    assert np.array_equal(read_clip(clip, RATE), sf.read(clip.path, dtype="float32")[0])
    assert clip.source_id.startswith("minetest-data:usr/share/games/minetest/")


def test_load_corpus_names_a_bad_line(corpus: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(corpus, copy)
    lines = (copy / "manifest.jsonl").read_text().splitlines()
    row = json.loads(lines[2])
    bad = [*lines[:2], json.dumps({**row, "label": "kazoo"}), *lines[3:]]
    (copy / "manifest.jsonl").write_text("\n".join(bad) + "\n")
    with pytest.raises(BadInputError, match=r"manifest.jsonl, line 3: unknown class 'kazoo'"):
        load_corpus(copy)
    straddling = [*lines, json.dumps({**json.loads(lines[0]), "split": "test" if json.loads(lines[0])["split"] == "train" else "train"})]  # fmt: skip
    (copy / "manifest.jsonl").write_text("\n".join(straddling) + "\n")
    with pytest.raises(BadInputError, match=rf"line {len(lines) + 1}: .* is in"):
        load_corpus(copy)
    (copy / "manifest.jsonl").write_text(lines[0][:-5] + "\n")
    with pytest.raises(BadInputError, match="line 1: not JSON"):
        load_corpus(copy)
    with pytest.raises(BadInputError, match="no corpus"):
        load_corpus(tmp_path / "nowhere")


# ------------------------------------------------------------------------------------ command line


def _one_line(capsys: pytest.CaptureFixture[str], fragment: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("foleykit.corpus: error: ") and fragment in err[0], err
    assert "Traceback" not in err[0]


def test_bad_argument_is_one_line_exit_2(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "foleykit.corpus", "build", str(tmp_path / "c"), "--rate", "fast"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "foleykit.corpus: error: argument --rate: invalid int value: 'fast' "
        "(see python -m foleykit.corpus build --help)"
    ]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--rate", "100"], "--rate must be between 8000 and 192000"),
        (["--packages", "minetest-data,kazoo-sounds"], "no reader for package kazoo-sounds"),
    ],
)
def test_bad_options(tmp_path: Path, capsys, extra: list[str], fragment: str) -> None:
    assert main(["build", str(tmp_path / "c"), "--debs", str(tmp_path), *extra]) == 2
    _one_line(capsys, fragment)
    assert not (tmp_path / "c").exists(), "nothing is written before the arguments are checked"


def test_missing_package_folder(tmp_path: Path, capsys) -> None:
    assert main(["build", str(tmp_path / "c"), "--debs", str(tmp_path / "no-such-folder")]) == 2
    _one_line(capsys, "no-such-folder does not exist")


def test_package_that_cannot_be_fetched(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))  # no apt-get
    assert main(["build", str(tmp_path / "c"), "--debs", str(tmp_path), "--packages", "ufoai-sound"]) == 2
    _one_line(capsys, "apt-get is not available here to fetch ufoai-sound")
    assert capsys.readouterr().out == ""


def test_damaged_package_is_one_line(fake_debs: Path, tmp_path: Path, capsys) -> None:
    debs = tmp_path / "debs"
    debs.mkdir()
    whole = (fake_debs / "openttd-opensfx_1.0.3-2_all.deb").read_bytes()
    (debs / "openttd-opensfx_1.0.3-2_all.deb").write_bytes(whole[: len(whole) // 2])
    assert main(["build", str(tmp_path / "c"), "--debs", str(debs), "--packages", "openttd-opensfx"]) == 2
    _one_line(capsys, "openttd-opensfx_1.0.3-2_all.deb")
    assert not (tmp_path / "c" / "manifest.jsonl").exists()


def test_existing_corpus_needs_force(fake_debs: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "c"
    args = ["build", str(out), "--debs", str(fake_debs), "--packages", "openttd-opensfx"]
    assert main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # OpenSFX entries name CC BY / CC0, but Debian licenses the collection CC BY-SA: the stricter holds
    assert summary["clips"] == 4 and summary["weights_licence"]["licence"] == "CC-BY-SA-4.0"
    stale = out / "clips" / "openttd-opensfx" / "stale.wav"
    shutil.copy(next((out / "clips" / "openttd-opensfx").glob("*.wav")), stale)
    before = (out / "manifest.jsonl").read_bytes()
    assert main(args) == 2
    _one_line(capsys, "already holds a corpus (manifest.jsonl); pass --force")
    assert (out / "manifest.jsonl").read_bytes() == before
    assert main([*args, "--force"]) == 0
    assert not stale.exists(), "--force removes clips the new build did not make"
    assert "4 clips from 4 recordings" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ the parts


def test_licence_names() -> None:
    assert canonical_licence("CC BY-SA 3.0") == "CC-BY-SA-3.0"
    assert canonical_licence("Creative Commons Attribution 3.0 Unported") == "CC-BY-3.0"
    assert canonical_licence("Creative Commons Attribution-ShareAlike 4.0") == "CC-BY-SA-4.0"
    assert canonical_licence("CC0 1.0") == canonical_licence("Creative Commons Zero 1.0") == "CC0-1.0"
    assert canonical_licence("CC BY-NC-SA 3.0") == "CC BY-NC-SA 3.0", "NC is not accepted"
    assert canonical_licence("CC-BY-SA-3") == "CC-BY-SA-3.0"
    assert canonical_licence("CC-BY-2.0") == "CC-BY-2.0", "only versions 3.0 and 4.0 are accepted"
    assert licence_choice("GPL-2+ or CDDL") is None
    assert licence_choice("GPL-2+ or CC-BY-SA-3.0") == "CC-BY-SA-3.0"
    assert licence_choice("CC0-1.0 and CC-BY-3.0") == "CC-BY-3.0"
    assert licence_choice("CC-BY-3.0 and GPL-2") is None


def test_dep5_last_matching_paragraph_wins() -> None:
    copyright = parse_copyright(MINETEST_COPYRIGHT)
    assert copyright.match("mtg/mods/tnt/sounds/x.ogg")[0].licence == "CC0-1.0"  # type: ignore[index]
    assert copyright.match("mtg/mods/tnt/init.lua")[0].licence == "MIT"  # type: ignore[index]
    assert copyright.match("mtg/mods/default/sounds/x.ogg")[0].licence == "CC-BY-SA-3.0"  # type: ignore[index]
    assert copyright.match("src/main.cpp")[0].licence == "LGPL-2.1+"  # type: ignore[index]
    with pytest.raises(BadInputError, match="not machine-readable"):
        parse_copyright("This package was debianized by someone.\n\nIt is GPL.\n")


def test_minetest_readme_shapes() -> None:
    readme = """\
TumeniNodes (CC0 1.0)
tnt_explode.ogg
renamed, edited, and converted to .ogg from Explosion2.wav
by steveygos93 (CC0 1.0)
<https://freesound.org/s/80401/>

Opening-Sound created by CGEffex (CC BY 3.0), modified by BlockMen
  door_open.ogg
Closing-Sound created by bennstir (CC BY 3.0)
  door_close.ogg
fencegate_open.ogg:
  http://www.freesound.org/people/mhtaylor67/sounds/126041/ - (CC0 1.0)
"""
    names = ["tnt_explode.ogg", "doors_door_open.ogg", "doors_door_close.ogg", "doors_fencegate_open.ogg"]
    found, default = parse_minetest_readme(readme, "doors", names, "README.txt")
    assert default is None
    assert (found["tnt_explode.ogg"].licence, found["tnt_explode.ogg"].authors) == ("CC0-1.0", ("TumeniNodes", "steveygos93"))  # fmt: skip
    assert found["doors_door_open.ogg"].authors == ("CGEffex", "BlockMen")
    assert (found["doors_door_close.ogg"].licence, found["doors_door_close.ogg"].authors) == ("CC-BY-3.0", ("bennstir",))  # fmt: skip
    assert (found["doors_fencegate_open.ogg"].licence, found["doors_fencegate_open.ogg"].authors) == ("CC0-1.0", ("mhtaylor67",))  # fmt: skip


def test_opensfx_catalogue_and_names() -> None:
    wav = encoded(sound(0.2, seed=3), fmt="WAV")
    entries = read_cat(make_cat([("first", wav), ("second", b"RIFF")]), "x.cat")
    assert entries == [("first", wav), ("second", b"RIFF")]
    with pytest.raises(BadInputError, match="not an OpenTTD sound catalogue"):
        read_cat(b"\x10\x00\x00\x80" + b"\x00" * 4, "x.cat")
    name = (
        '"Toyland: Toy factory (1)". Original "ae_51_m.wav" by "Sedi", "vial.wav" by Jan Schupke aka '
        '"Vehicle" and "whoosh06.wav" by Richard Frohlich aka "FreqMan". Edited by "Wuzzy". '
        "License: Creative Commons Attribution 3.0."
    )
    statement = parse_opensfx_name(name, "entry 42")
    assert statement.licence == "CC-BY-3.0"
    assert statement.authors == ("Sedi", "Jan Schupke (Vehicle)", "Richard Frohlich (FreqMan)", "Wuzzy")


def test_caption_table() -> None:
    assert check_table() == []
    assert lookup("minetest-data", "minetest_game/mods/default/sounds/default_gravel_footstep.3.ogg").label == "footsteps_gravel"  # type: ignore[union-attr]  # fmt: skip
    assert lookup("openttd-opensfx", "19 Big crash").captions[0] == "a big crash"  # type: ignore[union-attr]
    assert lookup("openttd-opensfx", "57 Heavy wind").captions[0] == "heavy wind blowing"  # type: ignore[union-attr]
    assert lookup("ufoai-sound", "sound/aliens/ortnok/die1.ogg").skipped  # type: ignore[union-attr]
    assert lookup("minetest-data", "nothing/like/this.ogg") is None
    assert set(TABLE) == {"minetest-data", "ufoai-sound", "openttd-opensfx", "sound-theme-freedesktop", "teeworlds-data", "supertuxkart-data", "redeclipse-data", "0ad-data", "openclonk-data", "hedgewars-data", "cube2-data", "lugaru-data", "wordwarvi-sound", "flare-game"}  # fmt: skip
    assert lookup("flare-game", "fantasycore/soundfx/heartbeat.ogg").label == "heartbeat"  # type: ignore[union-attr]
    assert lookup("flare-game", "fantasycore/soundfx/powers/fireball.ogg").skipped  # type: ignore[union-attr]
    assert lookup("hedgewars-data", "Droplet2.ogg").label == "water_drip"  # type: ignore[union-attr]
    assert lookup("cube2-data", "yo_frankie/amb_waterdrip_2.ogg").label == "water_drip"  # type: ignore[union-attr]
    assert lookup("cube2-data", "0ad/fs_sand7.ogg").skipped  # type: ignore[union-attr]
    assert lookup("lugaru-data", "Sounds/WhooshHit.ogg").label == "punch_impact"  # type: ignore[union-attr]
    assert lookup("lugaru-data", "Sounds/LowWhoosh.ogg").label == "whoosh"  # type: ignore[union-attr]
    assert lookup("lugaru-data", "Sounds/RabbitPain.ogg").skipped  # type: ignore[union-attr]
    assert lookup("wordwarvi-sound", "metalbang4.ogg").label == "metal_clang"  # type: ignore[union-attr]
    assert lookup("wordwarvi-sound", "synthetic_thunder_short.ogg").skipped  # type: ignore[union-attr]
    assert lookup("supertuxkart-data", "sfx/clock.ogg").label == "clock_tick"  # type: ignore[union-attr]
    assert lookup("supertuxkart-data", "music/farm.ogg").skipped  # type: ignore[union-attr]
    assert lookup("redeclipse-data", "sounds/player/concstep2.ogg").label == "footsteps_concrete"  # type: ignore[union-attr]
    assert lookup("redeclipse-data", "sounds/weapons/rifle/primary.ogg").skipped  # type: ignore[union-attr]
    assert lookup("0ad-data", "audio/actor/singlesteps/fs_gravel3.ogg").label == "footsteps_gravel"  # type: ignore[union-attr]
    assert lookup("0ad-data", "audio/actor/human/movement/Footsteps/Footstep_Wood_Walking.ogg").label == "footsteps_wood"  # type: ignore[union-attr]  # fmt: skip
    assert lookup("0ad-data", "audio/actor/human/death/male_death_21.ogg").skipped  # type: ignore[union-attr]
    assert lookup("0ad-data", "audio/music/Celtica.ogg").skipped  # type: ignore[union-attr]


def test_c4group_archives_are_read_and_bad_ones_refused() -> None:
    blob = make_c4group({"A.ocg": {"b.wav": b"RIFF1234", "c.txt": b"hi"}, "d.ogg": b"OggS"})
    assert read_c4group(blob, "Sound.ocg") == [
        ("A.ocg/b.wav", b"RIFF1234"),
        ("A.ocg/c.txt", b"hi"),
        ("d.ogg", b"OggS"),
    ]
    for bad, message in [
        (b"\x1f\x8b" + blob[2:], "not a c4group archive"),
        (b"\x1e\x8c" + b"\0" * 40, "not a c4group archive"),
        (b"\x1e\x8c" + gzip.compress(b"\0" * 300)[2:], "is not a c4group"),
    ]:
        with pytest.raises(BadInputError, match=message):
            read_c4group(bad, "Sound.ocg")
    truncated = _c4_group({"x.wav": b"RIFF1234"})[:-3]
    with pytest.raises(BadInputError, match=r"x\.wav runs past its group"):
        read_c4group(b"\x1e\x8c" + gzip.compress(truncated)[2:], "Sound.ocg")


def test_openclonk_credits_name_files_by_name_and_the_folders_they_give() -> None:
    keys = [
        "Hits/Materials/Wood/WoodHit2.ogg",  # "WoodHit1-3": no folder given
        "Objects/Weapons/Shield/WoodHit2.ogg",  # "Shield/WoodHit1-3" names more of its folders
        "Objects/Weapons/Shield/MetalHit4.ogg",
        "Environment/Lightning/Thunder1.ogg",  # the credit's folder has a typo: matched by name
        "Clonk/Skin/Adventurer/Hurt3.wav",  # under a "Clonk/Skin/Adventurer:" line
        "Fire/Spark2.wav",  # "Spark1&2&3"
        "Structures/DoorOpen1.wav",
        "Hits/Materials/Wood/WoodCreak3.ogg",  # the CC0 section
        "Liquids/Waterdrop1.wav",  # no credit: the default
    ]
    statements, _ = parse_openclonk_authors(OPENCLONK_AUTHORS, keys)
    got = {key: (s.licence, s.authors) for key, s in statements.items()}
    assert got == {
        "Hits/Materials/Wood/WoodHit2.ogg": ("CC-BY-3.0", ("HerbertBoland",)),
        "Objects/Weapons/Shield/WoodHit2.ogg": ("CC-BY-3.0", ("Checkmaty",)),
        "Objects/Weapons/Shield/MetalHit4.ogg": ("CC-BY-3.0", ("Checkmaty",)),
        "Environment/Lightning/Thunder1.ogg": ("CC-BY-3.0", ("xerana",)),
        "Clonk/Skin/Adventurer/Hurt3.wav": ("CC-BY-3.0", ("ala",)),
        "Fire/Spark2.wav": ("CC-BY-3.0", ("ala",)),
        "Structures/DoorOpen1.wav": ("CC-BY-3.0", ("ala",)),
        "Hits/Materials/Wood/WoodCreak3.ogg": ("CC0-1.0", ("alienistcog",)),
        "Liquids/Waterdrop1.wav": ("CC-BY-3.0", ()),
    }
    assert "adapted by Maikel" in statements["Environment/Lightning/Thunder1.ogg"].credit
    assert parse_openclonk_authors(OPENCLONK_AUTHORS, ["Fire/Spark4.wav"])[0]["Fire/Spark4.wav"].authors == ()
    with pytest.raises(BadInputError, match="no longer states an accepted default licence"):
        parse_openclonk_authors(OPENCLONK_AUTHORS.replace("CC Attribution 3.0", "GPL"), keys)


def test_openclonk_free_form_copyright_is_read_only_while_it_says_what_it_said() -> None:
    from foleykit.corpus.sources import READERS

    reader = READERS["openclonk-data"]
    terms = reader.terms(OPENCLONK_COPYRIGHT, "openclonk-data's debian/copyright")
    matched = terms.match("Structures/HingeCreak1.ogg")
    assert matched is not None and licence_choice(matched[0].licence) == "CC0-1.0"
    changed = OPENCLONK_COPYRIGHT.replace("CC0 (public domain)", "GPL-2+")
    with pytest.raises(BadInputError, match=r"no longer says the game content is CC BY 3\.0 or CC0"):
        reader.terms(changed, "openclonk-data's debian/copyright")


def test_conversion_steps() -> None:
    rate = 8000
    silent = np.zeros(rate, dtype=np.float32)
    assert trim_silence(silent, rate).size == 0
    knock = sound(0.5, rate, lead=1.0, tail=1.0)[:, 0]
    trimmed = trim_silence(knock, rate)
    assert trimmed.size == pytest.approx(0.5 * rate + 2 * 0.02 * rate, abs=2)
    pieces = convert(crackle(25.0, rate)[:, 0], rate, rate)
    assert len(pieces) >= 3 and all(5.0 <= p.size / rate <= 10.0 for p in pieces[:-1])
    assert pieces[-1].size / rate <= 10.0
    assert sum(p.size for p in pieces) == pytest.approx(25 * rate, abs=0.1 * rate)
    assert convert(sound(0.1, rate)[:, 0], rate, rate) == []


@pytest.mark.skipif(not os.environ.get("FOLEYKIT_REAL_DEBS"), reason="set FOLEYKIT_REAL_DEBS to a folder of the real .debs")  # fmt: skip
def test_build_from_the_real_packages(tmp_path: Path) -> None:
    result = build_corpus(tmp_path / "real", debs=Path(os.environ["FOLEYKIT_REAL_DEBS"]), progress=False)
    counts = result.record["counts"]
    assert counts["sources"] > 200 and counts["clips"] > 250
    assert set(counts["per_licence"]) <= {
        "CC0-1.0",
        "public-domain",
        "CC-BY-3.0",
        "CC-BY-SA-3.0",
        "CC-BY-SA-4.0",
    }
    excluded = {e["path"] for e in result.record["excluded_files"] if e["kind"] == "licence"}
    assert "usr/share/games/ufoai/base/0snd.pk3!sound/ambience/fire1.ogg" in excluded  # GPL-2
    assert "usr/share/sounds/freedesktop/stereo/service-login.oga" in excluded  # GPL-2
    covered = [
        c for c, s in counts["per_class"].items() if c != "none" and s["train"]["clips"] + s["test"]["clips"]
    ]
    assert len(covered) >= 15
    assert all(counts["per_package"][package]["clips"] for package in DEFAULT_PACKAGES), "every reader reads"
    creaks = counts["per_class"]["door_creak"]
    assert creaks["train"]["clips"] + creaks["test"]["clips"] >= 3, "openclonk-data's hinge creaks"
    drips = counts["per_class"]["water_drip"]
    assert drips["train"]["clips"] + drips["test"]["clips"] >= 7, "hedgewars-data's and cube2-data's drips"
    assert load_corpus(tmp_path / "real", split="test")


def test_a_clip_written_back_as_a_manifest_row_reads_back_the_same(tmp_path: Path) -> None:
    """`CorpusClip.manifest_row` is `load_corpus`'s inverse (the GPU job repacks a corpus with it)."""
    from tests.corpora import write_corpus

    root = write_corpus(tmp_path / "corpus", licence="CC-BY-SA-3.0")
    clips = load_corpus(root)
    (root / "manifest.jsonl").write_text("".join(json.dumps(c.manifest_row(root)) + "\n" for c in clips))
    assert load_corpus(root) == clips
    assert clips[0].manifest_row(root)["path"] == f"clips/{clips[0].path.name}"


def test_supertuxkart_sounds_take_their_own_paragraphs_licence(corpus: Path) -> None:
    """Each sound's licence is its own DEP-5 paragraph's (the last match), not the package's GPL default."""
    rows = {
        r["source_path"].rsplit("/", 1)[1]: r for r in rows_of(corpus) if r["package"] == "supertuxkart-data"
    }
    assert set(rows) == {"clock.ogg", "engine_small.ogg"}
    assert (rows["clock.ogg"]["label"], rows["clock.ogg"]["licence"]) == ("clock_tick", "public-domain")
    assert (
        rows["engine_small.ogg"]["licence"] == "CC-BY-SA-3.0"
    )  # the CC choice of "CC-BY-SA-3.0 or GPL-3 or GPL-2"
    record = json.loads((corpus / "build.json").read_text())
    excluded = {e["path"].rsplit("/", 1)[1]: e["kind"] for e in record["excluded_files"]}
    assert excluded["anvil.ogg"] == "licence" and excluded["farm.ogg"] == "skipped"
