"""What each recording is: a table from package paths to a foleykit class (or none) and three captions.

Why a hand-written table: file names in game data say what a sound is for, not always what it sounds
like ("dig_snappy", "Splat (rail builds)"), so a person decides, once, from the name, the package's own
credits (which often name the original recording, "Circular saw crosscutting.wav") and a look at the
audio. A file gets a class only when it truly is that class's sound; otherwise `label` is None and the
captions still say what it is. Captions state only what is known: "close" or "in a small room" appear
nowhere here, because the recordings do not tell us. Files a rule skips (voices, music, interface
blips, fantasy weapons) are left out of the corpus; files no rule matches are counted per package in
the build log, so the table can grow.

Patterns are `fnmatch` globs, case-insensitive, on a sound's key: its path under the package's sound
folder (`minetest_game/mods/default/sounds/default_gravel_footstep.1.ogg`, `sound/footsteps/stone1.ogg`,
`stereo/bell.oga`, `audio/foley_body_impact-01.wv`) or, for OpenSFX, `NN Title` ("52 Wind", matched by "?? Wind"). The first
matching rule of the package wins.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from foleykit.synth import CLASSES


@dataclass(frozen=True)
class CaptionRule:
    pattern: str
    label: str | None  # one of foleykit.synth.CLASSES, or None: a real sound outside the 24 classes
    captions: tuple[str, ...]  # three variants; empty when the rule skips the file
    skip: str = ""  # why the file is left out (voice, music, interface sound, fantasy weapon…)

    @property
    def skipped(self) -> bool:
        return not self.captions


def _c(pattern: str, label: str | None, *captions: str) -> CaptionRule:
    return CaptionRule(pattern, label, captions)


def _skip(pattern: str, why: str) -> CaptionRule:
    return CaptionRule(pattern, None, (), why)


VOICE = "a voice (not foley)"
MUSIC = "music or a jingle"
UI = "an interface sound"
FANTASY = "a fantasy or science-fiction sound"
UNCLEAR = "what it sounds like is not clear from its name or credits"
GAME = "a game-specific cue, not a real-world sound"

STEP = "*/default_{}_footstep.*"

TABLE: dict[str, tuple[CaptionRule, ...]] = {
    "minetest-data": (
        _c(STEP.format("gravel"), "footsteps_gravel", "a footstep on gravel", "someone stepping on gravel", "a crunching footstep on gravel"),
        _c(STEP.format("wood"), "footsteps_wood", "a footstep on wood", "someone stepping on a wooden floor", "a footstep on wooden boards"),
        _c(STEP.format("hard"), "footsteps_concrete", "a footstep on a hard floor", "a hard-soled footstep on stone", "someone stepping on a hard surface"),
        _c(STEP.format("dirt"), None, "a footstep on dirt", "someone stepping on soft earth", "a footstep on a dirt path"),
        _c(STEP.format("grass"), None, "a footstep on grass", "someone stepping through grass", "a soft footstep on a lawn"),
        _c(STEP.format("sand"), None, "a footstep on sand", "someone stepping on sand", "a soft crunch of a footstep in sand"),
        _c(STEP.format("snow"), None, "a footstep in snow", "someone stepping on crunchy snow", "snow crunching underfoot"),
        _c(STEP.format("ice"), None, "a footstep on ice", "someone stepping on ice", "a footstep on a frozen surface"),
        _c(STEP.format("glass"), None, "a footstep on glass", "someone stepping on a glass floor", "a hard footstep on glass"),
        _c(STEP.format("metal"), None, "a footstep on metal", "someone stepping on a metal plate", "a metallic footstep"),
        _c(STEP.format("water"), None, "footsteps splashing through water", "someone wading through shallow water", "splashing steps in water"),
        _c("*/default_break_glass.*", "glass_shatter", "glass shattering", "a pane of glass breaking", "glass smashing to pieces"),
        _c("*/default_dig_choppy.*", "wood_impact", "an axe chopping wood", "a chop into a log", "wood being chopped"),
        _c("*/default_dig_cracky.*", None, "a pickaxe striking stone", "a hard tool chipping rock", "stone being struck"),
        _c("*/default_dig_crumbly.*", None, "digging into soft earth", "a shovel going into dirt", "dirt being dug"),
        _c("*/default_dig_metal.*", "metal_clang", "a tool striking metal", "a metal clang", "a hit on a metal block"),
        _c("*/default_dug_metal.*", "metal_clang", "a metallic clank", "a metal block knocked loose with a clang", "metal clanging"),
        _c("*/default_place_node_metal.*", "metal_clang", "a metal object set down with a clank", "a metal block placed with a clang", "a metallic clunk"),
        _c("*/default_gravel_dig.*", None, "a shovel digging into gravel", "gravel being scooped", "digging in loose gravel"),
        _c("*/default_gravel_dug.*", None, "gravel being dug out", "a scoop of gravel shifting", "loose gravel crunching"),
        _c("*/default_ice_dig.*", None, "a tool chipping ice", "ice being chipped", "a hard hit on ice"),
        _c("*/default_ice_dug.*", None, "ice breaking apart", "ice cracking", "a block of ice breaking"),
        _c("*/default_chest_open.*", None, "a wooden chest opening", "the lid of a chest creaking open", "a wooden box being opened"),
        _c("*/default_chest_close.*", None, "a wooden chest closing", "the lid of a chest shutting", "a wooden box being closed"),
        _c("*/default_cool_lava.*", None, "a sizzling hiss", "water hissing on something hot", "a short sizzle of steam"),
        _c("*/fire_extinguish_flame.*", None, "a flame put out with a hiss", "a fire doused with a sizzle", "a short sizzle of steam"),
        _c("*/default_furnace_active.*", None, "a furnace fire roaring", "a fire burning inside a furnace", "the steady roar of a furnace"),
        _c("*/default_tool_breaks.*", None, "a tool snapping and breaking", "something breaking with a snap", "a tool breaking"),
        _c("*/fire_fire.*", "fire_crackle", "a fire crackling", "flames burning and crackling", "a crackling fire"),
        _c("*/fire_large.*", "fire_crackle", "a large fire burning", "a big fire crackling", "flames roaring and crackling"),
        _c("*/fire_small.*", "fire_crackle", "a small fire crackling", "a small fire burning", "gentle crackling flames"),
        _c("*/fire_flint_and_steel.*", None, "flint struck against steel", "striking a flint and steel for sparks", "a flint striker scraping"),
        _c("*/tnt_explode.*", "explosion", "an explosion", "a stick of dynamite exploding", "a loud blast"),
        _c("*/tnt_ignite.*", None, "a fuse fizzing as it burns", "a lit fuse sizzling", "a sparkler fuse burning"),
        _c("*/tnt_gunpowder_burning.*", None, "gunpowder burning with a fizz", "a flare igniting and burning", "a short fizzing burn"),
        _c("*/doors_door_close.*", "door_slam", "a door closing shut", "a door being shut", "a wooden door shutting"),
        _c("*/doors_steel_door_close.*", "door_slam", "a heavy steel door closing shut", "a metal door being shut", "a steel door shutting"),
        _c("*/doors_glass_door_close.*", "door_slam", "a door closing shut", "a glass door being shut", "a door shutting"),
        _c("*/xpanes_steel_bar_door_close.*", "door_slam", "an iron bar door closing shut", "a steel gate being shut", "a barred metal door shutting"),
        _c("*/doors_door_open.*", None, "a door opening", "a wooden door being opened", "a door swinging open"),
        _c("*/doors_steel_door_open.*", None, "a steel door opening", "a heavy metal door being opened", "a metal door swinging open"),
        _c("*/doors_glass_door_open.*", None, "a door opening", "a glass door being opened", "a door swinging open"),
        _c("*/xpanes_steel_bar_door_open.*", None, "an iron bar door opening", "a steel gate being opened", "a barred metal door swinging open"),
        _c("*/doors_fencegate_open.*", None, "a wooden gate opening", "a garden gate being opened", "a fence gate swinging open"),
        _c("*/doors_fencegate_close.*", None, "a wooden gate closing", "a garden gate being shut", "a fence gate latching shut"),
        _c("*/env_sounds_water.*", None, "flowing water", "a gently flowing stream", "water running in a stream"),
        _c("*/env_sounds_lava.*", None, "thick liquid bubbling", "a bubbling pool", "bubbling and popping liquid"),
        _c("*/carts_cart_moving.*", None, "a cart rolling on rails", "a mine cart moving along a track", "wheels rumbling on rails"),
        _skip("*/default_dig_snappy.*", UNCLEAR),
        _skip("*/default_dig_dig_immediate.*", GAME),
        _skip("*/default_dig_oddly_breakable_by_hand.*", GAME),
        _skip("*/default_dug_node.*", GAME),
        _skip("*/default_place_node*", GAME),
        _skip("*/default_item_smoke.*", GAME),
        _skip("*/player_damage.*", VOICE),
        _skip("devtest/*", "an engine test tone"),
    ),
    "ufoai-sound": (
        _c("sound/footsteps/gravel*", "footsteps_gravel", "a footstep on gravel", "someone stepping on gravel", "a crunching footstep on gravel"),
        _c("sound/footsteps/wood*", "footsteps_wood", "a footstep on wood", "someone stepping on a wooden floor", "a footstep on wooden boards"),
        _c("sound/footsteps/stone*", "footsteps_concrete", "a footstep on stone", "a hard shoe stepping on a stone floor", "a footstep on a hard stone surface"),
        _c("sound/footsteps/tile*", "footsteps_concrete", "a footstep on a tiled floor", "a hard shoe stepping on tiles", "a footstep on hard tiles"),
        _c("sound/footsteps/carpet*", None, "a footstep on carpet", "a soft footstep on a carpeted floor", "someone stepping on carpet"),
        _c("sound/footsteps/dirt*", None, "a footstep on dirt", "someone stepping on soft earth", "a footstep on a dirt path"),
        _c("sound/footsteps/grass*", None, "a footstep on grass", "someone stepping through grass", "a soft footstep on a lawn"),
        _c("sound/footsteps/sand*", None, "a footstep on sand", "someone stepping on sand", "a soft crunch of a footstep in sand"),
        _c("sound/footsteps/snow*", None, "a footstep in snow", "someone stepping on crunchy snow", "snow crunching underfoot"),
        _c("sound/footsteps/splash*", None, "a footstep splashing in a puddle", "someone stepping in shallow water", "a splashing step"),
        _c("sound/footsteps/water_in*", None, "stepping into water with a splash", "someone wading into water", "a splash of a foot entering water"),
        _c("sound/footsteps/water_out*", None, "stepping out of water", "someone wading out of water", "water splashing as a foot lifts out"),
        _skip("sound/footsteps/*", UNCLEAR),
        _c("sound/doors/door*-close*", "door_slam", "a door closing shut", "a door being shut", "a door shutting"),
        _c("sound/doors/door*-open*", None, "a door opening", "a door being opened", "a door swinging open"),
        _c("sound/misc/breakglass*", "glass_shatter", "glass shattering", "a pane of glass breaking", "glass smashing to pieces"),
        _c("sound/misc/breakmetal*", "metal_clang", "metal breaking with a clang", "a metal object crashing", "metal clanging as it breaks"),
        _c("sound/misc/breakwood*", "wood_impact", "wood breaking", "a wooden object smashing", "wood cracking and splintering"),
        _c("sound/misc/breakelectric*", None, "electrical equipment breaking with sparks", "an electric short circuit crackling", "a device shorting out with sparks"),
        _c("sound/ambience/thunder*", "thunder", "thunder rumbling", "a thunderclap", "thunder in a storm"),
        _c("sound/ambience/arcticwind*", "wind", "a cold wind howling", "strong wind blowing", "gusts of icy wind"),
        _c("sound/ambience/*fire*", "fire_crackle", "a fire crackling", "flames burning and crackling", "a crackling fire"),
        _c("sound/ambience/waterfontain*", None, "a water fountain splashing", "water falling in a fountain", "a fountain running"),
        _c("sound/ambience/water0*", None, "moving water", "water flowing and splashing", "running water"),
        _c("sound/ambience/wind_turbine*", None, "a wind turbine turning", "the whirr of a wind turbine", "a rotating wind turbine"),
        _c("sound/ambience/minepump*", None, "a pump machine running", "industrial pump machinery working", "a mechanical pump in operation"),
        _c("sound/ambience/tv_static*", None, "television static", "the hiss of a detuned TV", "white noise of TV static"),
        _skip("sound/ambience/tv_news*", VOICE),
        _skip("sound/ambience/disco*", MUSIC),
        _skip("sound/ambience/*", FANTASY),
        _c("sound/ugv/diesel-idle*", "engine_idle", "a diesel engine idling", "an idling diesel motor", "a vehicle engine running at idle"),
        _c("sound/ugv/diesel-move*", None, "a diesel vehicle driving", "a diesel engine revving as a vehicle moves", "a heavy vehicle driving"),
        _c("sound/ugv/diesel-stop*", None, "a diesel engine slowing to a stop", "a vehicle coming to a stop", "a diesel engine winding down"),
        _skip("sound/ugv/*", FANTASY),
        _c("sound/ui/beep*", "beep", "an electronic beep", "a short beep", "a computer beep"),
        _c("sound/ui/click[0-9]*", None, "a click", "a short mechanical click", "a button click"),
        _skip("sound/ui/*", UI),
        _c("sound/weapons/explosion.ogg", "explosion", "an explosion", "a loud explosion", "a blast"),
        _c("sound/weapons/explosion-grenade*", "explosion", "a grenade exploding", "an explosion", "a loud blast"),
        _c("sound/weapons/explosion-rocket*", "explosion", "a rocket exploding", "an explosion", "a loud blast"),
        _c("sound/weapons/explosion-fire*", "explosion", "an explosion bursting into flames", "a fiery explosion", "an incendiary blast"),
        _c("sound/weapons/explosion-flashbang*", "explosion", "a stun grenade going off", "a sharp explosion", "a flashbang blast"),
        _c("sound/geoscape/combat-explosion*", "explosion", "an explosion", "a distant blast", "an explosion in the air"),
        _c("sound/geoscape/combat-rocket-exp*", "explosion", "a rocket exploding", "an explosion", "a blast"),
        _c("sound/weapons/melee-swoosh*", "whoosh", "a swoosh through the air", "a fast swing whooshing past", "a whoosh"),
        _c("sound/weapons/melee-throw*", "whoosh", "something thrown through the air with a whoosh", "a whoosh of a throw", "an object whooshing past"),
        _c("sound/seq/sword-fly*", "whoosh", "a blade swishing through the air", "a sword swung with a whoosh", "a swoosh"),
        _c("sound/seq/sword-hit*", None, "a blade striking", "a sword hitting", "a sharp blade impact"),
        _c("sound/seq/humanflyby*", None, "an aircraft flying past", "a jet fly-by", "a plane passing overhead"),
        _c("sound/weapons/bullet-pistol*", None, "a pistol shot", "a handgun firing", "a gunshot"),
        _c("sound/weapons/bullet-rifle-1x*", None, "a rifle shot", "a single rifle shot", "a gunshot"),
        _c("sound/weapons/bullet-rifle-[38]x*", None, "a rifle firing a burst", "a burst of rifle fire", "rapid gunshots"),
        _c("sound/weapons/bullet-rifle.ogg", None, "a rifle shot", "a rifle firing", "a gunshot"),
        _c("sound/weapons/bullet-sniper*", None, "a sniper rifle shot", "a loud rifle shot", "a single gunshot"),
        _c("sound/weapons/bullet-shotgun*", None, "a shotgun blast", "a shotgun firing", "a loud gunshot"),
        _c("sound/weapons/bullet-smg-1x*", None, "a submachine gun shot", "a single gunshot", "a gunshot"),
        _c("sound/weapons/bullet-smg*", None, "a submachine gun burst", "a burst of automatic fire", "rapid gunshots"),
        _c("sound/weapons/bullet-hmg*", None, "a heavy machine gun firing", "a burst of machine gun fire", "rapid heavy gunshots"),
        _c("sound/weapons/bullet-chaingun*", None, "a machine gun firing", "a long burst of automatic fire", "rapid gunfire"),
        _c("sound/weapons/reload-*", None, "a gun being reloaded", "the click of a magazine being loaded", "a firearm reload"),
        _c("sound/weapons/grenade-bounce*", None, "a small metal object bouncing", "a grenade bouncing on the ground", "a metal object clattering"),
        _c("sound/weapons/grenade-pin*", None, "a grenade pin being pulled", "a metal pin pulled with a click", "a pin and lever clicking"),
        _c("sound/weapons/grenade-launcher*", None, "a grenade launcher firing", "a launcher thumping", "a launcher firing a round"),
        _c("sound/weapons/rocket-human*", None, "a rocket launching", "a rocket launcher firing", "a rocket whooshing away"),
        _c("sound/weapons/flamer-*", None, "a flamethrower burst", "a jet of fire roaring", "a flamethrower firing"),
        _c("sound/weapons/ugv-cannon-fire*", None, "a cannon firing", "a heavy gun firing", "a cannon shot"),
        _c("sound/impact/bullet-impact*", None, "a bullet hitting a hard surface", "a bullet ricochet impact", "a bullet striking"),
        _c("sound/impact/knife-impact*", None, "a knife striking a hard surface", "a blade hitting", "a sharp blade impact"),
        _c("sound/impact/water-impact*", None, "something splashing into water", "a splash", "an object hitting water"),
        _skip("sound/weapons/*", FANTASY),
        _skip("sound/impact/*", FANTASY),
        _skip("sound/seq/*", FANTASY),
        _skip("sound/geoscape/*", UI),
        _skip("sound/misc/*", UI),
        _skip("sound/aliens/*", FANTASY),
        _skip("sound/civilians/*", VOICE),
        _skip("sound/soldiers/*", VOICE),
    ),
    "openttd-opensfx": (
        _c("?? Wind", "wind", "wind blowing", "a gust of wind", "wind howling"),
        _c("?? Heavy wind", "wind", "heavy wind blowing", "strong gusts of wind", "wind howling"),
        _c("?? Explosion", "explosion", "an explosion", "a loud explosion", "a blast"),
        _c("?? Beep", "beep", "an electronic beep", "a short beep", "a single beep"),
        _c("?? Morse", "beep", "morse code beeping", "a series of morse code beeps", "beeps in morse code"),
        _c("?? Tropical: Bird (*)", "bird_chirp", "a tropical bird calling", "a bird chirping", "a bird call"),
        _c("?? Building bridge", "metal_clang", "a hammer striking metal in a smithy", "metal being hammered on an anvil", "metallic hammering"),
        _c("?? Factory Whistle", None, "a factory whistle blowing", "a steam whistle", "a loud factory whistle"),
        _c("?? Steam train station departure", None, "a steam train whistle blowing", "a steam locomotive whistle", "a train whistle"),
        _c("?? Steam engine going in tunnel", None, "a steam locomotive whistle", "a steam train whistle blowing", "a train whistle"),
        _c("?? Ship horn", None, "a ship's horn blowing", "a ship horn", "a deep ship horn"),
        _c("?? Ferry horn", None, "a ferry horn blowing", "a ship's horn", "a deep ferry horn"),
        _c("?? Propeller plane start", None, "a propeller plane engine starting", "a light aircraft starting up", "a small plane's engine starting"),
        _c("?? Early jet take off", None, "a passenger jet taking off", "a jet aircraft departing", "jet engines roaring"),
        _c("?? Mach 1+ Jet take off", None, "a jet taking off", "a fast jet roaring", "a jet aircraft taking off"),
        _c("?? Modern jet take off", None, "jets flying past", "a jet aircraft roaring by", "fighter jets passing"),
        _c("?? Diesel/electric train station departure", None, "a distant locomotive horn", "a train horn", "a diesel locomotive horn"),
        _c("?? Maglev train station departure", None, "a metro train departing", "a subway train leaving a station", "an electric train pulling away"),
        _c("?? Monorail train station departure", None, "a train passing by", "a train rushing past", "a passing train"),
        _c("?? Mining machinery", None, "elevator machinery running", "a lift mechanism working", "machinery running"),
        _c("?? Electric sparking", None, "electric sparks crackling", "a high-voltage arc buzzing", "electricity arcing"),
        _c("?? Steam (of steam engine)", None, "steam hissing from an engine", "a steam engine releasing steam", "hissing steam"),
        _c("?? Level crossing", "bell", "a railway crossing bell ringing", "a bell ringing over and over", "a level crossing warning bell"),
        _c("?? Crash", None, "a crash", "a vehicle crash", "a loud crash"),
        _c("?? Big crash", None, "a big crash", "a loud vehicle crash", "a heavy crash"),
        _c("?? Cash till", None, "a cash register", "a cash till ringing", "a till drawer opening"),
        _c("?? Plane wheels touching ground", None, "tyres screeching", "a short tyre screech", "wheels skidding"),
        _c("?? Helicopter", None, "a helicopter flying", "helicopter rotor blades", "a helicopter"),
        _c("?? Truck/old bus start, pull away", None, "a truck engine starting and pulling away", "an old bus starting up and driving off", "a heavy vehicle pulling away"),
        _c("?? Truck/old bus start, pull away with horn", None, "a truck starting and pulling away with a horn", "an old bus honking and driving off", "a heavy vehicle pulling away, horn blowing"),
        _c("?? Modern bus start", None, "a bus pulling away", "a city bus driving off", "a bus leaving"),
        _c("?? Old bus start", None, "an old bus engine starting", "an old vehicle starting up", "an engine starting"),
        _c("?? Applause", None, "an audience applauding", "applause", "a crowd clapping"),
        _c("?? Jackhammer", None, "a jackhammer pounding", "a pneumatic hammer", "an air hammer drilling"),
        _c("?? Modern car horn", None, "a car horn honking", "a car horn", "a car honking"),
        _c("?? Sheep", None, "a sheep bleating", "sheep in a field", "a sheep"),
        _c("?? Cow", None, "a cow mooing", "a cow moaning", "a cow"),
        _c("?? Horse", None, "a horse neighing", "a horse whinnying", "a horse"),
        _c("?? Sawmill", None, "a circular saw cutting wood", "a saw crosscutting timber", "a power saw cutting"),
        _c("?? Lumber mill: Chainsaw", None, "a chainsaw cutting wood", "a chainsaw", "a chainsaw running"),
        _c("?? Lumber mill: Crashing tree", None, "a tree crashing down", "a falling tree hitting the ground", "a tree falling"),
        _c("?? Lumber mill: Falling tree", None, "a tree being cut and falling", "a tree falling", "a tree being felled"),
        _c("?? Tropical: Lion roar", None, "a lion roaring", "a big cat growling", "a roar"),
        _c("?? Tropical: Monkeys", None, "monkeys screeching", "monkeys calling", "chattering monkeys"),
        _skip("?? Good Year", MUSIC),
        _skip("?? Bad Year", MUSIC),
        _skip("?? Oooh sound", VOICE),
        _skip("?? Unused*", "an empty placeholder"),
        _skip("?? Toyland:*", "a cartoon sound"),
        _skip("?? Splat*", GAME),
        _skip("?? Road vehicle breakdown", GAME),
        _skip("?? Train/ship breakdown", GAME),
    ),
    "sound-theme-freedesktop": (
        _c("stereo/bell.*", "bell", "a bell chime", "a small bell ringing", "a bright bell tone"),
        _c("stereo/camera-shutter.*", None, "a camera shutter clicking", "a camera taking a picture", "the click of a camera shutter"),
        _c("stereo/complete.*", "bell", "a bell chime ringing out", "a single chime fading away", "a soft bell tone"),
        _c("stereo/alarm-clock-elapsed.*", "beep", "an alarm clock beeping", "a digital alarm going off", "repeated electronic beeps"),
        _skip("stereo/*", UI),
    ),
    "teeworlds-data": (
        _c("audio/foley_body_impact-*", "punch_impact", "a punch hitting a body", "a body blow", "a thud of a hit on a body"),
        _c("audio/foley_foot_*", None, "a footstep", "a light footstep", "a single step"),
        _c("audio/foley_land-*", None, "landing on the ground after a jump", "a thud of feet landing", "someone landing from a jump"),
        _c("audio/sfx_skid-*", None, "shoes skidding on the floor", "a short skid", "feet sliding to a stop"),
        _c("audio/wp_hammer_swing-*", "whoosh", "a hammer swung through the air", "a swing whooshing past", "a whoosh"),
        _c("audio/wp_ninja_attack-*", "whoosh", "a blade slashing through the air", "a fast slash whooshing", "a swoosh"),
        _c("audio/wp_flump_explo-*", "explosion", "an explosion", "a grenade exploding", "a blast"),
        _skip("audio/vo_*", VOICE),
        _skip("audio/music_*", MUSIC),
        _skip("audio/*", GAME),
    ),
    # From the names and debian/copyright's credits (most name the freesound original); not yet heard.
    "supertuxkart-data": (
        _c("sfx/clock.ogg", "clock_tick", "a clock ticking", "the steady tick of a clock", "a ticking clock"),
        _c("sfx/rain.ogg", "rain", "rain falling", "steady rainfall", "the sound of rain"),
        _c("sfx/thunder.ogg", "thunder", "a thunderclap", "thunder rumbling", "a roll of thunder"),
        _c("sfx/exotic-birds*.ogg", "bird_chirp", "birds chirping", "tropical birds calling", "birdsong in a forest"),
        _c("sfx/engine_large.ogg", "engine_idle", "a large engine running", "a big engine rumbling", "the drone of a large motor"),
        _c("sfx/engine_small.ogg", "engine_idle", "a small engine running", "a small motor buzzing", "the hum of a little engine"),
        _c("sfx/metal_clang.ogg", "metal_clang", "a metal clang", "metal striking metal", "a clanging hit on metal"),
        _c("sfx/explosion.ogg", "explosion", "an explosion", "a loud blast", "the boom of an explosion"),
        _c("sfx/wooden_bridge.ogg", "wood_impact", "wooden planks knocking", "wheels rolling over wooden boards", "wooden boards thudding"),
        _c("sfx/river_loop.ogg", None, "a river flowing", "water running in a stream", "a flowing river"),
        _c("sfx/waterfall_loop_2.ogg", None, "a waterfall", "water cascading down", "the roar of falling water"),
        _c("sfx/fireworks_show.ogg", None, "fireworks going off", "a fireworks display", "fireworks bursting"),
        _c("sfx/horn.ogg", None, "a car horn honking", "a horn blaring", "a vehicle's horn"),
        _c("sfx/airplane_jetEngine.ogg", None, "a jet engine roaring", "an airplane's jet engine", "the whine of a jet engine"),
        _c("sfx/car_accel.ogg", None, "a car accelerating", "an engine revving up as a car speeds away", "a car speeding up"),
        _c("sfx/car_revup.ogg", None, "an engine revving", "a car engine revving up", "a motor being revved"),
        _c("sfx/skid.ogg", None, "tyres skidding", "a car skidding", "the screech of tyres"),
        _c("*/steamLocomotive.ogg", None, "a steam locomotive", "a steam train chugging", "a steam engine puffing along"),
        _c("tracks/black_forest/cow.ogg", None, "a cow mooing", "a cow lowing", "the moo of a cow"),
        _c("tracks/scotland/sheep.ogg", None, "a sheep bleating", "sheep baaing", "the bleat of a sheep"),
        _skip("music/*", MUSIC),
        _skip("tracks/*.ogg", GAME),
        _skip("sfx/ugh.ogg", VOICE),
        _skip("sfx/wee.ogg", VOICE),
        _skip("sfx/WilhelmScream.ogg", VOICE),
        _skip("sfx/*", GAME),
        _skip("karts/*", GAME),
    ),
    # From the names and debian/copyright's credits; not yet heard. Keys from data/.
    "redeclipse-data": (
        _c("sounds/player/concstep*.ogg", "footsteps_concrete", "a footstep on concrete", "a hard footstep on a concrete floor", "someone stepping on concrete"),
        _c("sounds/player/footstep*.ogg", None, "a footstep", "a single step", "someone taking a step"),
        _c("sounds/player/land*.ogg", None, "landing on the ground after a jump", "a thud of feet landing", "someone landing from a jump"),
        _c("sounds/player/swimstep*.ogg", None, "a swimming stroke", "a stroke through water", "someone swimming"),
        _skip("sounds/player/*", VOICE),
        _c("sounds/ambience/cavedrip.ogg", "water_drip", "water dripping in a cave", "drops of water falling in a cave", "a slow drip echoing"),
        _c("sounds/ambience/morph/rain.ogg", "rain", "rain falling", "steady rain", "the sound of rainfall"),
        _c("sounds/ambience/morph/stormrain.ogg", "rain", "heavy rain in a storm", "a downpour", "rain pouring in a storm"),
        _c("sounds/ambience/wind.ogg", "wind", "wind blowing", "a steady wind", "the sound of wind"),
        _c("sounds/ambience/morph/wind?.ogg", "wind", "wind blowing outdoors", "gusts of wind", "wind howling"),
        _c("sounds/ambience/morph/stormwind.ogg", "wind", "a strong wind in a storm", "stormy wind", "wind howling in a storm"),
        _c("sounds/ambience/fire.ogg", "fire_crackle", "a fire burning", "flames crackling", "a crackling fire"),
        _c("sounds/ambience/nightcrickets.ogg", None, "crickets chirping at night", "a night with crickets", "crickets in the dark"),
        _c("sounds/ambience/cycadas.ogg", None, "cicadas buzzing", "the drone of cicadas", "cicadas in the heat"),
        _c("sounds/ambience/forest?.ogg", None, "a forest ambience", "the sounds of a forest", "outdoors in a forest"),
        _c("sounds/ambience/creek.ogg", None, "a creek babbling", "a small stream flowing", "water trickling in a creek"),
        _c("sounds/ambience/river.ogg", None, "a river flowing", "water running in a river", "a flowing river"),
        _c("sounds/ambience/water.ogg", None, "water lapping", "moving water", "the sound of water"),
        _c("sounds/ambience/waterfall*.ogg", None, "a waterfall", "water cascading down", "the roar of falling water"),
        _c("sounds/ambience/distant_cars.ogg", None, "distant traffic", "cars passing in the distance", "far-off road traffic"),
        _c("sounds/weapons/*/beep.ogg", "beep", "a beep", "an electronic beep", "a short beeping tone"),
        _c("sounds/weapons/thud*.ogg", "punch_impact", "a heavy thud of a hit", "a blow landing", "a dull impact"),
        _c("sounds/weapons/thwack*.ogg", "punch_impact", "a thwack of a hit", "a sharp blow", "a smack"),
        _c("sounds/sfx/splash*.ogg", None, "a splash into water", "something splashing in water", "a splash"),
        _c("sounds/sfx/splosh*.ogg", None, "a sploshing splash", "a splash of water", "water sploshing"),
        _c("sounds/sfx/debris*.ogg", None, "debris falling", "rubble scattering", "bits of debris landing"),
        _c("sounds/sfx/shell*.ogg", None, "a shell casing bouncing", "a spent cartridge falling", "a small metal casing clinking"),
        _skip("sounds/announcer/*", VOICE),
        _skip("sounds/voice/*", VOICE),
        _skip("sounds/music/*", MUSIC),
        _skip("sounds/theme*", MUSIC),
        _skip("sounds/original.ogg", MUSIC),
        _skip("sounds/interface/*", UI),
        _skip("sounds/weapons/*", FANTASY),
        _skip("sounds/ambience/*", UNCLEAR),
        _skip("sounds/sfx/*", GAME),
    ),
    "0ad-data": (
        _c("audio/actor/singlesteps/fs_gravel*", "footsteps_gravel", "a footstep on gravel", "a crunching step on gravel", "someone stepping on loose gravel"),
        _c("audio/actor/singlesteps/fs_wood*", "footsteps_wood", "a footstep on wood", "a step on wooden boards", "someone stepping on a wooden floor"),
        _c("audio/actor/singlesteps/fs_rock*", "footsteps_concrete", "a footstep on rock", "a hard step on stone", "someone stepping on bare rock"),
        _c("audio/actor/singlesteps/fs_grass*", None, "a footstep on grass", "a soft step in grass", "someone stepping on a lawn"),
        _c("audio/actor/singlesteps/fs_sand*", None, "a footstep on sand", "a soft step in sand", "someone stepping on sand"),
        _c("audio/actor/singlesteps/fs_snow*", None, "a footstep in snow", "snow crunching under a step", "someone stepping in snow"),
        _c("audio/actor/human/movement/footsteps/footstep_gravel_walking.ogg", "footsteps_gravel", "footsteps walking on gravel", "someone walking on a gravel path", "steps crunching on gravel"),
        _c("audio/actor/human/movement/footsteps/footstep_gravel_running.ogg", "footsteps_gravel", "footsteps running on gravel", "someone running on gravel", "fast steps crunching on gravel"),
        _c("audio/actor/human/movement/footsteps/footstep_wood_walking.ogg", "footsteps_wood", "footsteps walking on wood", "someone walking on a wooden floor", "slow steps on wooden boards"),
        _c("audio/actor/human/movement/footsteps/footstep_wood_running.ogg", "footsteps_wood", "footsteps running on wood", "someone running across a wooden floor", "fast steps on wooden boards"),
        _c("audio/actor/human/movement/footsteps/footstep_rock_walking.ogg", "footsteps_concrete", "footsteps walking on rock", "someone walking on stone", "steps on a hard stone floor"),
        _c("audio/actor/human/movement/footsteps/footstep_rock_running.ogg", "footsteps_concrete", "footsteps running on rock", "someone running on stone", "fast steps on hard stone"),
        _c("audio/actor/human/movement/footsteps/footstep_grass_*", None, "footsteps in grass", "someone walking through grass", "steps swishing through grass"),
        _c("audio/actor/human/movement/footsteps/foorstep_sand_*", None, "footsteps in sand", "someone walking on sand", "steps in soft sand"),
        _c("audio/actor/human/movement/hstep_*dirt*", None, "a footstep on dirt", "a step on an earth path", "someone stepping on dirt"),
        _c("audio/actor/mounted/movement/mstep*", None, "a horse's hoofbeat", "a hoof striking the ground", "a horse stepping"),
        _c("audio/ambient/weather/rain*", "rain", "rain falling", "steady rain", "the sound of rainfall"),
        _c("audio/ambient/weather/thunder*", "thunder", "thunder rumbling", "a clap of thunder", "thunder in a storm"),
        _c("audio/ambient/weather/windgust*", "wind", "a gust of wind", "wind gusting", "a sudden gust of wind"),
        _c("audio/ambient/weather/windstorm*", "wind", "a windstorm", "a strong wind howling", "wind raging in a storm"),
        _c("audio/ambient/weather/windleaves*", "wind", "wind in the leaves", "wind rustling through trees", "a breeze in the foliage"),
        _c("audio/ambient/weather/wind_*", "wind", "wind blowing", "a steady wind", "the sound of wind"),
        _c("audio/ambient/weather/snowstorm*", None, "a snowstorm", "wind driving snow", "a blizzard blowing"),
        _c("audio/ambient/water/river*", None, "a river flowing", "water running in a river", "a flowing river"),
        _c("audio/ambient/water/waterfall*", None, "a waterfall", "water cascading down", "the roar of falling water"),
        _c("audio/ambient/water/wave*", None, "waves on a shore", "sea waves breaking", "waves washing in"),
        _c("audio/ambient/dayscape/*", None, "a countryside ambience by day", "birds and insects outdoors", "an outdoor daytime ambience"),
        _c("audio/attack/fire/c_*", "fire_crackle", "a fire crackling", "flames crackling and popping", "a crackling fire"),
        _c("audio/attack/fire/sp_*", None, "the low roar of flames", "a big fire rumbling", "the deep rush of a blaze"),
        _c("audio/attack/fire/sz*", None, "the hiss of burning", "flames hissing", "a sizzling fire"),
        _c("audio/attack/impact/arrow_wood*", "wood_impact", "an arrow hitting wood", "an arrow thudding into a wooden board", "a sharp hit on wood"),
        _c("audio/attack/impact/shield_wood*", "wood_impact", "a blow on a wooden shield", "a hit on a wooden board", "a knock on wood"),
        _c("audio/attack/impact/sling_wood*", "wood_impact", "a stone hitting wood", "a projectile striking a wooden board", "a knock on wood"),
        _c("audio/attack/impact/arrow_metal*", "metal_clang", "an arrow hitting metal", "a sharp metallic hit", "a projectile glancing off metal"),
        _c("audio/attack/impact/shield_metal*", "metal_clang", "a blow on a metal shield", "a metal clang", "a hit on a metal plate"),
        _c("audio/attack/impact/sling_metal*", "metal_clang", "a stone hitting metal", "a projectile striking metal with a clang", "a metallic knock"),
        _c("audio/attack/impact/arrow_stone*", None, "an arrow hitting stone", "a sharp hit on rock", "a projectile striking stone"),
        _c("audio/attack/impact/sling_stone*", None, "a stone hitting stone", "a rock striking a stone wall", "a hard knock on rock"),
        _c("audio/attack/impact/arrow_dirt*", None, "an arrow hitting the ground", "an arrow thudding into earth", "a dull hit on dirt"),
        _c("audio/attack/impact/fleshimp*", "punch_impact", "a heavy blow to the body", "a thud of a hit", "a punch landing"),
        _c("audio/attack/weapon/swordhit*", "metal_clang", "swords clashing", "a sword striking metal", "a clang of blades"),
        _c("audio/attack/weapon/arrowfly*", "whoosh", "an arrow whizzing past", "an arrow flying through the air", "a quick whoosh of an arrow"),
        _c("audio/attack/weapon/sword_attack*", None, "a sword swung in an attack", "a blade swinging", "a sword slash"),
        _c("audio/attack/destruction/building_collapse*", None, "a building collapsing", "a structure crashing down", "walls caving in"),
        _c("audio/attack/destruction/explode_debris*", None, "debris falling after a blast", "rubble raining down", "bits of debris landing"),
        _c("audio/resource/construction/con_wood*", "wood_impact", "a hammer hitting wood", "hammering on timber", "a knock on a wooden beam"),
        _c("audio/resource/construction/con_saw*", None, "a hand saw cutting wood", "sawing a plank", "a saw going through timber"),
        _c("audio/resource/construction/con_stone*", None, "a chisel on stone", "stone being worked", "a tool chipping stone"),
        _c("audio/resource/lumbering/lumber_tree_*", "wood_impact", "an axe chopping a tree", "a chop into a trunk", "wood being chopped"),
        _c("audio/resource/lumbering/lumber_treeexpire*", None, "a tree falling", "a felled tree crashing down", "a tree toppling over"),
        _c("audio/resource/mining/mine_stone*", None, "a pickaxe striking stone", "a hard tool chipping rock", "stone being mined"),
        _c("audio/resource/mining/mine_metal*", None, "a pickaxe striking ore", "a tool hitting rock and metal", "ore being mined"),
        _c("audio/resource/farming/hoe*", None, "a hoe digging soil", "a garden tool in the earth", "soil being hoed"),
        _c("audio/resource/foraging/leaves*", None, "leaves rustling", "someone rummaging through a bush", "foliage being rustled"),
        _c("audio/actor/gate/stonegate_close*", None, "a heavy gate closing", "a stone gate shutting", "a large gate grinding shut"),
        _c("audio/actor/gate/stonegate_open*", None, "a heavy gate opening", "a stone gate grinding open", "a large gate swinging open"),
        _c("audio/actor/fauna/animal/chicken*", None, "a chicken clucking", "a hen clucking", "chickens clucking"),
        _c("audio/actor/fauna/animal/cattle*", None, "a cow mooing", "cattle lowing", "a cow calling"),
        _c("audio/actor/fauna/animal/sheep*", None, "a sheep bleating", "sheep baaing", "a bleating sheep"),
        _c("audio/actor/fauna/animal/pig*", None, "a pig grunting", "a pig squealing", "pigs grunting"),
        _c("audio/actor/fauna/animal/horse*", None, "a horse neighing", "a horse whinnying", "a horse snorting"),
        _skip("audio/music/*", MUSIC),
        _skip("audio/voice/*", VOICE),
        _skip("audio/actor/human/*", VOICE),
        _skip("audio/interface/*", UI),
        _skip("audio/*", UNCLEAR),
    ),
}  # fmt: skip


def lookup(package: str, key: str) -> CaptionRule | None:
    """The first rule of `package` whose pattern matches `key` (case-insensitive), or None."""
    low = key.lower()
    return next((r for r in TABLE.get(package, ()) if fnmatch.fnmatchcase(low, r.pattern.lower())), None)


def check_table() -> list[str]:
    """Problems in the table (an unknown class, not three distinct captions); empty when it is sound."""
    problems = []
    for package, rules in TABLE.items():
        for rule in rules:
            where = f"{package} {rule.pattern!r}"
            if rule.label is not None and rule.label not in CLASSES:
                problems.append(f"{where}: unknown class {rule.label!r}")
            if rule.skipped and not rule.skip:
                problems.append(f"{where}: skipped without a reason")
            if not rule.skipped and (len(rule.captions) != 3 or len(set(rule.captions)) != 3):
                problems.append(f"{where}: needs three distinct captions")
            if rule.skipped and rule.label is not None:
                problems.append(f"{where}: a skipped file has no class")
    return problems


__all__ = ["TABLE", "CaptionRule", "check_table", "lookup"]
