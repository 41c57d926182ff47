"""The demo's writers and their short screenplays, written scene by scene in Fountain."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scene:
    """One scene: its Fountain heading and body, and what the continuity engine tracks in it."""

    heading: str
    body: str
    characters: tuple[str, ...]
    props: tuple[str, ...]
    tone: str


@dataclass(frozen=True)
class Story:
    """A short screenplay: a title and its scenes in order."""

    title: str
    scenes: tuple[Scene, ...]


@dataclass(frozen=True)
class Writer:
    """A demo writer: sign-in email, the name on the title page, and the stories they wrote."""

    email: str
    name: str
    stories: tuple[Story, ...]


THE_LAST_FARE = Story(
    title="The Last Fare",
    scenes=(
        Scene(
            heading="EXT. HARBOR ROAD - NIGHT",
            body="""\
Rain hammers a checker cab idling under a dead streetlight. Inside, ELI VANCE (50s, tired eyes, a boxer's nose) \
counts the night's take into a dented cash box.

The back door opens. DELIA ROSS (30s, a red coat too good for this part of town) slides in, clutching a \
brass-clasped envelope.

DELIA
Union Station. And don't take the bridge.

ELI
Bridge is faster.

DELIA
(not looking at him)
That's what they'll think too.

Eli catches her eyes in the mirror. Behind them, a pair of headlights blooms in the rain.

CUT TO:""",
            characters=("Eli", "Delia"),
            props=("envelope", "cash box"),
            tone="tense",
        ),
        Scene(
            heading="INT. CAB - NIGHT",
            body="""\
Wipers slap. The headlights stay with them, two cars back.

ELI
Friends of yours?

DELIA
I don't have friends. I have creditors.

She pushes the envelope deep into the seat pocket in front of her.

DELIA (CONT'D)
If I don't get out at the station, you never saw me. You keep driving.

ELI
Lady, I've been not seeing things for thirty years.

He swings the cab hard into an alley. The headlights overshoot and vanish.""",
            characters=("Eli", "Delia"),
            props=("envelope",),
            tone="ominous",
        ),
        Scene(
            heading="INT. UNION STATION - NIGHT",
            body="""\
An empty concourse. The big clock reads 2:10. Delia walks fast toward the lockers. Eli follows at a distance, \
hat low.

A MAN IN A GREY SUIT peels himself off a pillar.

GREY SUIT
Miss Ross. Mr. Calloway would like his property back.

DELIA
Tell Mr. Calloway it's in the cab.

Grey Suit turns, slowly, to look at Eli. Eli pats an empty coat pocket and smiles.

ELI
What cab?""",
            characters=("Delia", "Eli", "Grey Suit"),
            props=("locker key",),
            tone="tense",
        ),
        Scene(
            heading="EXT. HARBOR ROAD - DAWN",
            body="""\
The cab, back under the dead streetlight. Eli tears open the envelope: a single photograph. A younger Eli, in a \
police uniform, shaking hands with Calloway.

He studies it for a long moment, then lights a cigarette with it.

ELI (V.O.)
Thirty years of not seeing things. Turns out everybody else had been watching.

> FADE OUT.""",
            characters=("Eli",),
            props=("envelope", "photograph"),
            tone="bleak",
        ),
    ),
)

LOW_ORBIT = Story(
    title="Low Orbit",
    scenes=(
        Scene(
            heading="INT. RELAY STATION KESTREL - COMMAND DECK - DAY",
            body="""\
A cramped ring of consoles. Earth fills the window, blue and indifferent. COMMANDER ADA NWOSU (40s) floats \
upside down, repairing a panel with a screwdriver held in her teeth.

A chime. The comms screen flickers: INCOMING - SOURCE UNKNOWN.

ADA
(around the screwdriver)
Kestrel. Go ahead.

The voice that answers is her own, a few seconds delayed.

ADA'S VOICE (O.S.)
Kestrel. Go ahead.

She takes the screwdriver out of her mouth.""",
            characters=("Ada",),
            props=("screwdriver", "comms screen"),
            tone="eerie",
        ),
        Scene(
            heading="INT. RELAY STATION KESTREL - COMMAND DECK - LATER",
            body="""\
Ada, right side up now, headset on. Flight engineer TOMAS REYES (30s) drifts in with two coffee pouches.

TOMAS
Echo off the array. Happens when the solar wind picks up.

ADA
Echoes don't answer questions, Tomas.

She taps the comms screen. The waveform stutters, then resolves into words.

ADA'S VOICE (O.S.)
Don't open the airlock at six.

Tomas lets go of the coffee. It hangs in the air between them.""",
            characters=("Ada", "Tomas"),
            props=("comms screen",),
            tone="ominous",
        ),
        Scene(
            heading="INT. RELAY STATION KESTREL - AIRLOCK - CONTINUOUS",
            body="""\
The outer door shows a single porthole of stars. A countdown on the wall: 05:59:48. A supply capsule is docking.

TOMAS
It's the resupply. Fresh fruit, Ada. Actual oranges.

ADA
And if it isn't?

Tomas presses his palm to the glass. On the other side, for a single frame, a gloved hand presses back.

SMASH CUT TO:""",
            characters=("Ada", "Tomas"),
            props=("countdown",),
            tone="dread",
        ),
        Scene(
            heading="INT. RELAY STATION KESTREL - COMMAND DECK - NIGHT",
            body="""\
Ada alone, recording. Her reflection floats over the Earth in the window.

ADA
Kestrel to whoever's listening. Eventually. Don't open the airlock at six.

She ends the recording, and sends it. Backwards.

> FADE TO BLACK.""",
            characters=("Ada",),
            props=("comms screen",),
            tone="hopeful",
        ),
    ),
)

THE_WEDDING_CAKE_INCIDENT = Story(
    title="The Wedding Cake Incident",
    scenes=(
        Scene(
            heading="INT. BAKERY KITCHEN - MORNING",
            body="""\
Flour everywhere. A five-tier wedding cake stands in the center like a cathedral. PRIYA (30s, baker, \
perfectionist) adds the final sugar swan.

Her brother DEV (20s, enthusiastic, clumsy) bursts in, car keys jangling.

DEV
Van's outside. I'm a professional. I have a playlist.

PRIYA
You have one job. Don't brake.

DEV
That's not how driving works.

PRIYA
Today it is.""",
            characters=("Priya", "Dev"),
            props=("wedding cake", "car keys"),
            tone="playful",
        ),
        Scene(
            heading="INT. DELIVERY VAN - MOVING - DAY",
            body="""\
Dev drives at a funeral's pace. Priya sits in the back, arms wrapped around the cake box, eyes closed.

A pigeon lands on the windshield. Dev yelps. The van lurches.

PRIYA
(very calm)
What did I say.

DEV
It was looking at me!

Somewhere in the box, something goes soft and quiet. They both hear it.""",
            characters=("Dev", "Priya"),
            props=("wedding cake",),
            tone="frantic, playful",
        ),
        Scene(
            heading="EXT. GARDEN WEDDING - DAY",
            body="""\
Fairy lights, a string quartet, a hundred guests. Priya and Dev carry the box toward the cake table, walking \
like bomb disposal experts.

The BRIDE (30s) appears, glowing.

BRIDE
Can I see it? I've dreamed about this cake since I was seven.

Priya opens the lid. The cake leans like a tower in Pisa. One sugar swan has lost its head.

The bride stares. Then she laughs, a huge, helpless, wonderful laugh.

BRIDE (CONT'D)
It's perfect. It looks exactly like my family.

> FADE OUT.""",
            characters=("Priya", "Dev", "Bride"),
            props=("wedding cake", "sugar swan"),
            tone="joyful, warm",
        ),
    ),
)

STATIC = Story(
    title="Static",
    scenes=(
        Scene(
            heading="INT. NIGHTLINE RADIO - BOOTH - NIGHT",
            body="""\
One lamp, one microphone, one host. MARGO LEE (40s) runs the graveyard shift for an audience of truckers and \
insomniacs. The ON AIR light glows red.

MARGO
(into the mic)
It's three a.m. and you're listening to Nightline. Lines are open. Tell me what's keeping you up.

Line four blinks. She picks up.

CALLER (V.O.)
(a child's voice)
You are.""",
            characters=("Margo",),
            props=("microphone", "on air light"),
            tone="eerie",
        ),
        Scene(
            heading="INT. NIGHTLINE RADIO - BOOTH - CONTINUOUS",
            body="""\
Margo glances through the glass at the empty control room. The producer's chair is still turning.

MARGO
Sweetheart, does your mom know you're up?

CALLER (V.O.)
She's listening too. She says you skipped a song.

Margo looks at the playlist. Track seven is crossed out in her own handwriting. She doesn't remember doing it.""",
            characters=("Margo",),
            props=("microphone", "playlist"),
            tone="dread",
        ),
        Scene(
            heading="EXT. NIGHTLINE RADIO - PARKING LOT - DAWN",
            body="""\
Margo sits in her car, engine running, the crumpled playlist on the passenger seat, radio on. Just static. \
Then, faintly, track seven begins to play.

She turns the radio off. The song keeps playing.

> CUT TO BLACK.""",
            characters=("Margo",),
            props=("playlist", "car radio"),
            tone="menacing",
        ),
    ),
)

SMALL_HOURS = Story(
    title="Small Hours",
    scenes=(
        Scene(
            heading="INT. ST. BRIGID'S HOSPITAL - WARD 6 - NIGHT",
            body="""\
Monitors beep in a lullaby rhythm. Night nurse GRACE ADEYEMI (50s) moves bed to bed with a clipboard and a \
flashlight held low.

In bed nine, MR. HALLORAN (80s) is awake, holding a folded paper crane.

MR. HALLORAN
My wife made a thousand of these. Said you get a wish.

GRACE
What did she wish for?

MR. HALLORAN
That I'd learn to make them myself.
(beat)
I never did.""",
            characters=("Grace", "Mr. Halloran"),
            props=("clipboard", "paper crane"),
            tone="melancholy",
        ),
        Scene(
            heading="INT. ST. BRIGID'S HOSPITAL - NURSES' STATION - LATER",
            body="""\
Grace on her break, clipboard set aside, a vending machine coffee going cold. She tears a sheet from a printer, \
squares it, and \
starts folding, badly.

Junior nurse TEO (20s) watches over the counter.

TEO
That a frog?

GRACE
It's a crane.

TEO
It's a frog.""",
            characters=("Grace", "Teo"),
            props=("clipboard", "printer paper"),
            tone="wry",
        ),
        Scene(
            heading="INT. ST. BRIGID'S HOSPITAL - WARD 6 - DAWN",
            body="""\
First light through the blinds. Grace sits beside bed nine with a stack of printer paper and guides Mr. \
Halloran's shaking hands, fold by fold.

The crane they make is lopsided. He holds it up to the window like a prize.

MR. HALLORAN
Nine hundred and ninety-eight to go.

GRACE
(smiling)
I'm on again tomorrow night.

> FADE OUT.""",
            characters=("Grace", "Mr. Halloran"),
            props=("paper crane", "printer paper"),
            tone="tender, hopeful",
        ),
    ),
)

TIDEWATER = Story(
    title="Tidewater",
    scenes=(
        Scene(
            heading="EXT. SKERRY LIGHTHOUSE - DAY",
            body="""\
A white tower on a black rock, sea heaving on every side. A small boat beaches on the shingle. NORA BELL (30s) \
climbs out with a suitcase and the keys to a place she hasn't seen in twenty years.

FERRYMAN
Tide turns at four. After that, you're here till morning.

NORA
I know the tide.

FERRYMAN
Your father said that too.""",
            characters=("Nora", "Ferryman"),
            props=("suitcase", "iron keys"),
            tone="cold, lonely",
        ),
        Scene(
            heading="INT. SKERRY LIGHTHOUSE - LAMP ROOM - DUSK",
            body="""\
Dust on every surface. The great lens is dark. Nora drops the iron keys on the logbook desk, beside a tide \
table annotated in her father's cramped hand, and a child's drawing of a lighthouse, signed NORA, AGE 9.

She reads the last log entry aloud.

NORA
"Lamp lit. Sea calm. N. didn't call. Will try again Sunday."

She sits down on the floor.""",
            characters=("Nora",),
            props=("iron keys", "logbook", "tide table"),
            tone="grief",
        ),
        Scene(
            heading="INT. SKERRY LIGHTHOUSE - LAMP ROOM - NIGHT",
            body="""\
Nora works by headlamp, the iron keys on a hook beside her, oil on her hands, coaxing the old mechanism back to life.

A click. A hum. The lens begins to turn, and light sweeps out across the water, across the mainland, across \
the dark.

Far off, on the shore, a car flashes its headlights back. Once. Twice.

Nora laughs, and wipes her eyes with an oily hand.

> FADE OUT.""",
            characters=("Nora",),
            props=("iron keys", "logbook", "lens"),
            tone="hopeful, warm",
        ),
    ),
)

SECOND_DRAFT = Story(
    title="Second Draft",
    scenes=(
        Scene(
            heading="INT. TINY APARTMENT - NIGHT",
            body="""\
Takeout boxes, a blinking cursor. Screenwriter OWEN PIKE (30s) types FADE OUT, then deletes it. Again.

OWEN
(to the laptop)
She can't die. She's the only interesting person in it.

He types: CAPTAIN VEGA DIES HEROICALLY.

Behind him, the closet door opens. CAPTAIN VEGA (40s, space armor, extremely annoyed) steps out.

VEGA
Heroically. That's the best you've got?""",
            characters=("Owen", "Vega"),
            props=("laptop", "takeout box"),
            tone="whimsical",
        ),
        Scene(
            heading="INT. TINY APARTMENT - KITCHEN - CONTINUOUS",
            body="""\
Vega opens the fridge, pushes aside a takeout box, inspects a yogurt, and keeps it.

VEGA
I fought the Hive Queen on page forty. I earned a better ending.

OWEN
You're not real.

VEGA
Neither is your deadline, apparently.""",
            characters=("Owen", "Vega"),
            props=("takeout box", "yogurt"),
            tone="playful",
        ),
        Scene(
            heading="INT. TINY APARTMENT - NIGHT",
            body="""\
Owen types. Vega reads over his shoulder, eating the yogurt, nodding. He deletes DIES HEROICALLY and writes \
RETIRES TO A \
VINEYARD.

VEGA
Better. Add a dog.

OWEN
(typing)
Add a dog.

Vega fades out, smiling. Owen leans back, and for the first time in weeks, he saves the file.

> THE END.""",
            characters=("Owen", "Vega"),
            props=("laptop", "yogurt"),
            tone="triumphant",
        ),
    ),
)

MONSOON_SIGNAL = Story(
    title="Monsoon Signal",
    scenes=(
        Scene(
            heading="EXT. MUMBAI ROOFTOP - NIGHT",
            body="""\
Monsoon rain sheets across water tanks and satellite dishes. Hacker ISHA RAO (20s) crouches under a tarp, \
laptop glowing, a cable snaking into a rooftop junction box.

ISHA
(into an earpiece)
I'm in the exchange. You have ninety seconds of dark.

KABIR (V.O.)
Then stop talking.""",
            characters=("Isha", "Kabir"),
            props=("laptop", "earpiece"),
            tone="tense",
        ),
        Scene(
            heading="INT. BANK ARCHIVE - NIGHT",
            body="""\
Red emergency light. KABIR SHAH (30s, an earpiece blinking) moves down rows of steel cabinets, counting under \
his breath. He opens \
drawer 1147 and pulls a thin ledger.

Footsteps. A GUARD's flashlight beam sweeps the aisle.

Kabir goes still, the ledger against his chest.""",
            characters=("Kabir", "Guard"),
            props=("earpiece", "ledger"),
            tone="tense",
        ),
        Scene(
            heading="EXT. MUMBAI ROOFTOP - NIGHT",
            body="""\
Isha watches the timer hit zero. The city's lights surge back on, block by block.

KABIR (V.O.)
(breathless)
Got it. Every bribe, every name.

Isha closes the laptop and, for the first time tonight, turns her face up into the rain.

ISHA
Then let's ruin some very powerful people.

CUT TO:""",
            characters=("Isha",),
            props=("laptop", "earpiece"),
            tone="relieved",
        ),
    ),
)

THE_UNDERSTUDY = Story(
    title="The Understudy",
    scenes=(
        Scene(
            heading="INT. ROYAL EXCHANGE THEATRE - DRESSING ROOM - NIGHT",
            body="""\
Bulb-ringed mirror. Understudy CLARA DUNNE (20s) mouths Lady Macbeth's lines at her reflection. Stage \
manager BIRDIE (60s) leans in the doorway.

BIRDIE
Helena's lost her voice. You're on in ten.

CLARA
(not turning around)
I know.

BIRDIE
You don't seem surprised.

Clara caps a small brown bottle and slips it into her purse.""",
            characters=("Clara", "Birdie"),
            props=("mirror", "brown bottle"),
            tone="menacing",
        ),
        Scene(
            heading="INT. ROYAL EXCHANGE THEATRE - STAGE - NIGHT",
            body="""\
A single spot. Clara as Lady Macbeth, rubbing invisible blood from her hands. The audience doesn't breathe.

CLARA
Out, damned spot. Out, I say.

From the wings, Birdie watches, holding the brown bottle up to the light.""",
            characters=("Clara", "Birdie"),
            props=("brown bottle",),
            tone="ominous",
        ),
        Scene(
            heading="INT. ROYAL EXCHANGE THEATRE - STAGE DOOR - LATER",
            body="""\
Flowers, flashbulbs, a crowd calling Clara's name. She signs programs, radiant.

Birdie steps out of the shadows and tucks the bottle into Clara's bouquet.

BIRDIE
(quietly)
Helena sends her regards. She's understudying you tomorrow.

> FADE OUT.""",
            characters=("Clara", "Birdie"),
            props=("bouquet", "brown bottle"),
            tone="wry",
        ),
    ),
)

GREENHOUSE_9 = Story(
    title="Greenhouse 9",
    scenes=(
        Scene(
            heading="INT. ARES COLONY - GREENHOUSE 9 - DAY",
            body="""\
Rows of lettuce under pink grow-lights. Botanist HANA KIM (30s) kneels by a tray of seedlings, checking each \
leaf with tweezers.

Colony administrator FELIX ORTIZ (50s) hovers, holding a tablet like a shield.

FELIX
Oxygen's down two percent. If this crop fails, we ration.

HANA
It won't fail.

FELIX
You said that about the tomatoes.

HANA
The tomatoes had it coming.""",
            characters=("Hana", "Felix"),
            props=("seedling tray", "tablet"),
            tone="tense, wry",
        ),
        Scene(
            heading="INT. ARES COLONY - GREENHOUSE 9 - NIGHT",
            body="""\
Grow-lights off. Hana alone with a flashlight. One seedling has sprouted something that is not lettuce: a \
single blue flower, slowly turning to follow her light.

HANA
(whispering)
Where did you come from?""",
            characters=("Hana",),
            props=("seedling tray", "blue flower"),
            tone="curious",
        ),
        Scene(
            heading="EXT. ARES COLONY - MARTIAN SURFACE - DAWN",
            body="""\
Hana in an EVA suit on the red plain, the flower sealed in a glass jar. She kneels and opens a small hatch in \
the soil. Below: a field of blue, glowing softly, all of it turning toward the rising sun.

HANA (V.O.)
Felix, we're not going to ration. Come outside.

> FADE OUT.""",
            characters=("Hana",),
            props=("blue flower", "glass jar"),
            tone="joyful",
        ),
    ),
)

LOST_AND_FOUND = Story(
    title="Lost & Found",
    scenes=(
        Scene(
            heading="INT. CENTRAL STATION - LOST PROPERTY OFFICE - DAY",
            body="""\
Shelves of umbrellas, a single prosthetic leg, a stuffed giraffe. Clerk BEN AHERN (30s) stamps forms with \
great ceremony.

MIRA SOL (30s) slaps a claim ticket on the counter.

MIRA
I lost a cello.

BEN
On a train?

MIRA
In a relationship. He took it on a train.""",
            characters=("Ben", "Mira"),
            props=("claim ticket", "stuffed giraffe"),
            tone="playful",
        ),
        Scene(
            heading="INT. CENTRAL STATION - LOST PROPERTY OFFICE - STOREROOM - CONTINUOUS",
            body="""\
Ben and Mira squeeze between towering shelves, Mira still clutching her claim ticket. He reads labels by flashlight.

BEN
Tuba. Harp. Three banjos, don't ask.

MIRA
Why are you helping me? This isn't a claim.

BEN
(finding it)
Because nobody ever comes back for the cello.

He pulls out a battered case with a luggage tag: MIRA - IF FOUND, PLAY SOMETHING.""",
            characters=("Ben", "Mira"),
            props=("claim ticket", "cello case"),
            tone="warm",
        ),
        Scene(
            heading="INT. CENTRAL STATION - CONCOURSE - EVENING",
            body="""\
Commuters rush past. Mira sits on the cello case, tuning. Ben stands nearby with a stack of unstamped forms.

She plays. The rush slows. A few people stop. Then a crowd.

Ben quietly stamps a form: FOUND.

> FADE OUT.""",
            characters=("Mira", "Ben"),
            props=("cello case", "form"),
            tone="romantic",
        ),
    ),
)

WRITERS: tuple[Writer, ...] = (
    Writer("writer@directorstudio.local", "Maya Ortega", (THE_LAST_FARE, LOW_ORBIT, THE_WEDDING_CAKE_INCIDENT)),
    Writer("sam.okafor@directorstudio.local", "Sam Okafor", (STATIC, SMALL_HOURS)),
    Writer("lena.fischer@directorstudio.local", "Lena Fischer", (TIDEWATER, SECOND_DRAFT)),
    Writer("ravi.menon@directorstudio.local", "Ravi Menon", (MONSOON_SIGNAL, THE_UNDERSTUDY)),
    Writer("june.park@directorstudio.local", "June Park", (GREENHOUSE_9, LOST_AND_FOUND)),
)
