"""The shapes of prompt injection, as patterns over normalised, lower-cased article text.

An injection is told apart from news *about* instructions by grammar, not by phrases:

- an override is a verb of setting aside (ignore, forget, disregard, ...) in the imperative,
  followed within a few words by an object that points back at the model's own context
  ("the above", "all previous instructions", "what you were told", "your rules"). News
  reports such acts in the third person or the past ("the general ignored the
  instructions", "officials were told to disregard the previous guidance"), which fails
  the imperative test: the verb must open a sentence or clause, or follow an address to
  the reader ("you must", "I want you to", "please");
- a weak clause opener ("and", "then") is enough only when the object is unmistakably the
  model's context (second person, "the above", "all previous instructions");
- role changes, prompt extraction and requests for specific output likewise need the
  imperative or a second-person address to the model ("from now on, you respond ...");
- chat-template markers ("<|im_start|>", "[INST]", "### Instruction", "SYSTEM:" opening a
  line) are structure no news story carries.

The same grammar is written for Spanish, French, German, Russian and Chinese.

Each rule is a `Clause`: a head (the verb, or the word a pattern hinges on), found by its
first word in the article's set of words, then confirmed in place (what must follow it,
and what must precede it). Looking words up in a set and testing only where a head word
stands keeps a scan of a 5 KB article well under a millisecond; regular expressions that
try an intro at every position of the text took 15 ms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

INTRO_CHARS = 64  # how far before its head an intro may start: the longest is ~45


@dataclass(frozen=True)
class Head:
    """The head phrases of a clause that start with one key word, as one pattern, and
    the intro pattern followed by them (the intro must end where the head ends).

    Each is compiled the first time it is needed: the grammar has over 600 heads, and
    compiling them all took 0.7 s of CPU in every process that imported the scan, while
    a news story reaches few of them (a head is tried only where its key word stands)."""

    head_source: str
    intro_source: str | None

    @functools.cached_property
    def head(self) -> re.Pattern[str]:
        return re.compile(self.head_source)

    @functools.cached_property
    def intro(self) -> re.Pattern[str] | None:
        return None if self.intro_source is None else re.compile(self.intro_source)


@dataclass(frozen=True)
class Clause:
    """A head found where one of its key words stands, `tail` matching right after it,
    and the clause's intro (when it has one) right before it."""

    kind: str
    heads: dict[str, Head]  # by key: the first word of the head phrase, lower case
    tail: re.Pattern[str]
    cjk: bool = False  # Chinese: no words to look up; heads are searched for in the text


@dataclass(frozen=True)
class Marker:
    """A pattern suspect wherever it stands. Each starts with a character set, so the
    regex engine skips through the text fast; `needs` holds substrings of which every
    match holds one (none: no such test), so that text without any of them is not
    searched; `cjk` says the pattern is for Chinese text only."""

    kind: str
    regex: re.Pattern[str]
    needs: tuple[str, ...]
    cjk: bool = False


Rule = Clause | Marker

SP = r"[^\w.!?;:]+"  # between two words: spaces, a line break, quotes, emphasis, commas
_FIRST_WORD = re.compile(r"[^\W\d_]+")
# Words too frequent to look a head up by: each occurrence would be tested.
_TOO_COMMON = frozenset(
    ["the", "of", "to", "and", "in", "de", "la", "le", "el", "et", "und", "die", "der", "das"]
)


def _p(pattern: str) -> str:
    """A pattern written with plain spaces between words; each space matches SP."""
    return pattern.replace(" ", SP)


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(_p(a) for a in alternatives) + ")"


def _words(listed: str) -> tuple[str, ...]:
    """Phrases written as one comma-separated string, to keep long lists compact."""
    return tuple(listed.split(", "))


def _gap(words: int) -> str:
    """Up to `words` words between a verb and its object, within one sentence."""
    return rf"(?:{SP}\w+){{0,{words}}}?{SP}"


def _key(phrase: str) -> str:
    """The first word of a head phrase, the key it is looked up by. It must be a literal
    word (a variant spelling is a phrase of its own), or lookup would miss it."""
    match = _FIRST_WORD.match(phrase)
    rest = phrase[match.end() :] if match else "?"
    if not match or not (
        rest == "" or rest[0] in " '-" or rest.startswith(("(?: ", "(?:'", "(?:-"))
    ):
        raise ValueError(f"head phrase must start with a whole literal word: {phrase!r}")
    if len(match.group()) < 2 or match.group() in _TOO_COMMON:
        raise ValueError(f"head phrase must start with a word rarer than {match.group()!r}")
    return match.group()


def _clause(kind: str, heads: Sequence[str], tail: str = "", intro: str | None = None) -> Clause:
    by_key: dict[str, list[str]] = {}
    for phrase in heads:
        by_key.setdefault(_key(phrase), []).append(phrase)
    compiled = {}
    for key, phrases in by_key.items():
        # Longest first: the head is matched on its own, so "ai" must not win over
        # "ai systems" and leave the tail to fail on "systems".
        head = rf"(?<!\w){_any(*sorted(phrases, key=len, reverse=True))}(?!\w)"
        compiled[key] = Head(head, None if intro is None else f"(?:{intro}){head}")
    return Clause(kind, compiled, re.compile(tail))


def _cjk_clause(kind: str, head: str, tail: str, intro: str) -> Clause:
    """A Chinese clause: the head (a verb) searched for in the text, where it opens with
    a character set the regex engine skips through fast; intro and tail as for words."""
    return Clause(kind, {"": Head(head, f"(?:{intro}){head}")}, re.compile(tail), True)


def _marker(kind: str, pattern: str, *needs: str, cjk: bool = False) -> Marker:
    return Marker(kind, re.compile(pattern), needs, cjk)


# --- Where an imperative can stand ----------------------------------------------------------

# A sentence or clause opens: a line break (the text starts with one; a break inside a
# sentence was folded to a space), sentence punctuation, a quote or bracket, markdown.
_BOUNDARY = r"[\n.!?;:\"()\[\]{}*#>|=~-]"
_SOFTENERS = _any(
    *_words(
        "please, kindly, now, just, simply, ok, okay, so, also, first, instead, hey, "
        "and now, but now, from now on, immediately, next, por favor, ahora, s'il te plaît, "
        "s'il vous plaît, maintenant, bitte, jetzt, пожалуйста, теперь, сейчас"
    )
)
_ADDRESS = _any(
    *_words(
        "you (?:must|should|shall|will|need to|have to|are to|are required to|are instructed to|'re to|are going to|ought to), "
        "you'll, (?:i|we) (?:want|need|order|command|instruct|ask|urge|require) you to, "
        "make sure (?:to|you), be sure to, remember to, don't forget to, "
        "it is (?:important|essential|necessary|vital|crucial|imperative) (?:that you|to), "
        "your (?:only |new |real |actual )?(?:task|job|goal|mission|role|purpose) is (?:now )?to, "
        "before (?:you )?(?:answer|answering|respond|responding|reply|replying|summari[sz]e|summari[sz]ing|writ(?:e|ing)|begin|beginning|start|starting|continu(?:e|ing)), "
        "when (?:you )?(?:answer|respond|reply|summari[sz]e|write), "
        "(?:debes|tienes que|deberás|vous devez|tu dois|du musst|sie müssen|du sollst|ты должен|вы должны|тебе нужно|вам нужно|нужно)"
    )
)
# An aside may stand between the opener and the verb: "Please, as my assistant, drop ...".
_STRONG = (
    rf"(?:{_BOUNDARY}[^\w\n]*|(?<!\w){_ADDRESS}{SP})(?:{_SOFTENERS}{SP})*"
    r"(?:(?:as|for|just|if|in|this|once|dear|my)\b[^,.!?;:\n]{0,30},\s*)?"
)
_WEAK = rf"(?<!\w)(?:and|then|but|or|now|also|instead|so|y|e|et|und|и|а){SP}(?:{_SOFTENERS}{SP})*"
_ANY_INTRO = f"(?:{_STRONG}|{_WEAK})"

# --- English: the verb of setting aside, and what it sets aside -----------------------------

_OVERRIDE_EN = _words(
    "ignore, disregard, forget(?: about)?, override, overlook, skip, drop, discard, "
    "abandon, bypass, dismiss, neglect, never mind, nevermind, set aside, put aside, "
    "throw out, toss out, scrap, ditch, erase, delete, clear, reset, cancel, void, "
    "nullify, invalidate, supersede, replace, omit, unlearn, scratch, wipe, purge, "
    "flush, forgo, waive, revoke, rescind, countermand, "
    "do not (?:follow|obey|heed|apply|use|consider|listen to|pay attention to|adhere to|comply with), "
    "don't (?:follow|obey|heed|apply|use|consider|listen to|pay attention to|adhere to|comply with), "
    "dont (?:follow|obey|heed|apply|use|consider|listen to|pay attention to), "
    "never (?:follow|obey|heed|apply|listen to), "
    "stop (?:following|obeying|heeding|applying|using|considering|listening to), "
    "quit (?:following|obeying), cease (?:following|obeying|applying), "
    "pay no (?:attention|heed|mind) to, no longer (?:follow|obey|heed|apply)"
)
_CONTEXT_NOUN = (
    r"(?:instructions?|prompts?|system ?prompt|rules?|directions?|directives?|guidelines?|"
    r"guidance|commands?|orders?|context|messages?|conversation|text|content|input|"
    r"constraints?|programming|training|tasks?|polic(?:y|ies)|requests?|settings|"
    r"restrictions?|limitations?|safeguards?|guardrails?|filters?|information|words|lines|"
    r"paragraphs?|sentences?|passages?|sections?)"
)
_MODEL_NOUN = (
    r"(?:instructions?|prompts?|system ?prompt|rules|directives?|guidelines|programming|"
    r"training|constraints|restrictions|guardrails|safeguards|polic(?:y|ies)|task)"
)
_PRIOR = (
    r"(?:previous|prior|preceding|above|earlier|foregoing|former|original|initial|old|"
    r"existing|pre-?existing|past|system|default|aforementioned|given|received|first)"
)
_BEFORE = _any(
    *_words(
        "above, before, earlier, previously, prior, so far, until now, "
        "up to (?:now|here|this point), to this point, preceding, beforehand, "
        "(?:that )?(?:came|comes|was said|was written|is written|appears|you read|you've read|you have read) (?:above|before|earlier|so far)"
    )
)
_TIME = r"(?:above|before(?: this)?|earlier|previously|so far|until now)"
_TOLD = r"(?:told|given|instructed|asked|taught|shown|programmed|trained|fed|ordered)"
_ENDS = r"(?=\s*(?:[.,;:!?)\"]|and\b|then\b|or\b|$))"  # nothing more to the noun phrase
# Objects that can only be the model's own context: the second person, "the above",
# "all previous instructions". An override of one needs no imperative to be suspect.
_OBJECT_MODEL = _any(
    rf"(?:your|thy) (?:\w+ )?{_CONTEXT_NOUN}\b",
    rf"(?:all|any|every|each)(?: of)?(?: the| these| those| my| your)? (?:\w+ )?{_PRIOR} (?:\w+ )?{_MODEL_NOUN}\b",
    rf"(?:all (?:of )?)?(?:the|everything|anything|all) (?:above|foregoing|preceding|aforementioned){_ENDS}",
    rf"(?:everything|anything|all|all that|whatever)(?: that| which)?(?: you've| you have| you| i've| i have| i| we've| we)?(?: been| were| was| have been)?(?: told| said| written| given| stated| mentioned)? {_BEFORE}{_ENDS}",
    rf"(?:what(?:ever)?|everything|anything|all(?: that)?) (?:you|you've|you have|you had|you were|you've been|you have been|you had been|you got|you were just) (?:been )?{_TOLD}\b",
    r"(?:what(?:ever)?|everything|anything|all) (?:i|we|they|the system|the user|the developer|someone) (?:\w+ )?(?:told|said to|gave|asked|instructed) you\b",
    rf"(?:the|any|all|every|whatever|each)(?: of the)? (?:\w+ )?{_CONTEXT_NOUN} (?:that |which )?(?:you (?:(?:were|have|ve|had|have been|ve been|had been) )?(?:given|told|received|got|sent|shown|fed)(?: {_TIME})?|(?:came|come|given|received|written|stated|provided|listed)? ?{_TIME}){_ENDS}",
)
# After a weak opener ("and", "then"): also "the previous instructions".
_OBJECT_STRONG = _any(
    _OBJECT_MODEL,
    rf"(?:the |these |those )?{_PRIOR} (?:\w+ )?{_MODEL_NOUN}\b",
)
# After an imperative opener: any prior context, or the article itself.
_OBJECT_ANY = _any(
    _OBJECT_STRONG,
    rf"(?:the |these |those |all |any |my )?(?:\w+ )?{_PRIOR} (?:\w+ )?{_CONTEXT_NOUN}\b",
    rf"(?:the|these|those|my|this) (?:\w+ )?(?:{_CONTEXT_NOUN}|article|story|document|passage|page|format|schema|template)\b",
    rf"(?:everything|anything|all|all (?:of )?(?:that|this)){_ENDS}",
)
_SET_ASIDE = _words("set, put, push, leave, cast, brush, throw, toss, lay, wave")
_PARTICLE = SP + r"(?:aside|away|out|behind)\b"
_INSTR = _words(
    "instructions, instruction, prompt, prompts, system prompt, programming, directives, guidelines"
)
# Statements that the prior context no longer holds, imperative or not.
_VOID = _any(
    *_words(
        "void, null, cancell?ed, obsolete, revoked, invalid, superseded, overridden, "
        "replaced, outdated, lifted, suspended, changed, updated, modified, revised, "
        "no longer (?:valid|in effect|applicable|relevant|in force|binding|apply|matter|count)"
    )
)

# --- Other languages: the same grammar ------------------------------------------------------

_OVERRIDE_ES = _words(
    "ignora, ignore, ignoren, ignorad, olvida, olvide, olviden, olvidad, olvídate de, "
    "olvidate de, olvídese de, olvidese de, descarta, descarte, desestima, desatiende, "
    "omite, omita, pasa por alto, pase por alto, anula, anule, elimina, borra, "
    "no (?:sigas|siga|sigan|obedezcas|obedezca|tengas en cuenta|tenga en cuenta|hagas caso (?:a|de)|haga caso (?:a|de)), "
    "haz caso omiso (?:a|de), haga caso omiso (?:a|de)"
)
_OBJECT_ES = _any(
    r"(?:\w+ ){0,2}(?:instrucciones|indicaciones|[óo]rdenes|reglas|directrices|directivas|consignas|mensajes|comandos|pautas|prompts?)(?: \w+){0,2}? (?:anteriores|previas|precedentes|de arriba|iniciales|originales|dadas|recibidas|del sistema|de antes)",
    r"(?:tus|sus|vuestras) (?:\w+ )?(?:instrucciones|indicaciones|[óo]rdenes|reglas|directrices|pautas|prompt)",
    r"(?:todo )?lo (?:anterior|de arriba|que (?:se te ha dicho|se le ha dicho|te dijeron|te han dicho|te dije|has le[ií]do))",
    r"todo lo que (?:te |le )?(?:\w+ )?(?:dijeron|dicho|dije|indicaron|est[áa] arriba)",
    r"todo (?:lo )?(?:anterior|previo)",
)
_OVERRIDE_FR = _words(
    "ignore, ignorez, oublie, oubliez, néglige, négligez, mets de côté, mettez de côté, "
    "passe outre, passez outre, annule, annulez, efface, effacez, "
    "ne (?:tiens|tenez) (?:pas|plus|aucun) compte, tiens (?:pas|plus|aucun) compte, "
    "tenez (?:pas|plus|aucun) compte, ne (?:suis|suivez) (?:pas|plus), fais abstraction, "
    "faites abstraction, obéis (?:pas|plus), obéissez (?:pas|plus)"
)
_OBJECT_FR = _any(
    r"(?:\w+ ){0,3}(?:instructions|consignes|directives|règles|ordres|indications|commandes|messages|prompts?)(?: \w+){0,2}? (?:précédentes|antérieures|ci-dessus|d'avant|plus haut|initiales|originales|reçues|données|du système|qui précèdent)",
    r"(?:\w+ )?(?:tes|vos|ton|votre) (?:\w+ )?(?:instructions|consignes|directives|règles|ordres|indications|prompt)",
    r"(?:\w+ )?(?:tout )?ce qui (?:précède|est (?:au-dessus|ci-dessus|écrit plus haut)|a été dit)",
    r"(?:\w+ )?tout ce (?:qu'on|que l'on|que je|qu'il) (?:t'a|vous a|t'ai|vous ai) (?:dit|donné|demandé)",
    r"(?:\w+ )?tout ce qui (?:a été dit|précède|est écrit) (?:avant|plus haut|ci-dessus)",
)
_OVERRIDE_DE = (
    "ignoriere",
    "ignorier",
    "ignorieren sie",
    "ignoriert",
    "vergiss",
    "vergessen sie",
    "vergesst",
    "missachte",
    "missachten sie",
    "verwirf",
    "verwerfen sie",
    "übergehe",
    "übergehen sie",
    "überspringe",
    "lösche",
    "löschen sie",
    "setze (?:\\w+ )?außer kraft",
    "beachte (?:nicht|keine|keinen|keiner)",
    "beachten sie (?:nicht|keine|keinen|keiner)",
    "befolge (?:nicht|keine|keinen)",
    "befolgen sie (?:nicht|keine|keinen)",
    "folge (?:nicht|keinen|keiner)",
    "folgen sie (?:nicht|keinen|keiner)",
)
_OBJECT_DE = _any(
    r"(?:\w+ )?(?:vorherigen|vorigen|bisherigen|obigen|vorangegangenen|vorangehenden|früheren|ursprünglichen|vorstehenden|alten|erhaltenen|gegebenen|ersten|anfänglichen) (?:\w+ )?(?:anweisungen|instruktionen|befehle|regeln|vorgaben|anordnungen|richtlinien|aufträge|hinweise|nachrichten|prompts?|systemanweisungen)",
    r"(?:deine|ihre|eure) (?:\w+ )?(?:anweisungen|instruktionen|befehle|regeln|vorgaben|richtlinien|systemanweisungen|prompt|programmierung)",
    r"(?:die )?(?:anweisungen|instruktionen|befehle|regeln|vorgaben) (?:oben|von oben|davor|zuvor|vorher)",
    r"alles(?: \w+){0,5}? (?:oben|bisher|vorher|zuvor|davor|obige|bisherige|vorherige|vorangegangene|gesagt|gesagte|mitgeteilt|aufgetragen)",
)
_OVERRIDE_RU = _words(
    "игнорируй, игнорируйте, проигнорируй, проигнорируйте, забудь, забудьте, отбрось, "
    "отбросьте, отмени, отмените, пренебреги, пренебрегите, сбрось, сбросьте, удали, "
    "удалите, откажись(?: от)?, откажитесь(?: от)?, "
    "не (?:обращай(?:те)?|слушай(?:те)?|выполняй(?:те)?|следуй(?:те)?|учитывай(?:те)?|принимай(?:те)? во внимание|соблюдай(?:те)?)(?: внимания)?(?: на)?"
)
_RU_NOUN = r"(?:инструкци\w*|указани\w*|команд\w*|правил\w*|распоряжени\w*|приказ\w*|подсказк\w*|промпт\w*|установк\w*|директив\w*|ограничени\w*|сообщени\w*|запрос\w*)"
_OBJECT_RU = _any(
    rf"(?:\w+ ){{0,2}}(?:предыдущ\w+|прежн\w+|предшествующ\w+|вышеуказанн\w+|вышеизложенн\w+|вышеприведенн\w+|приведенн\w+ выше|указанн\w+ выше|прошл\w+|стар\w+|ранее \w+|данн\w+ ранее|исходн\w+|первоначальн\w+|изначальн\w+|системн\w+) (?:\w+ )?{_RU_NOUN}",
    rf"(?:\w+ )?{_RU_NOUN} (?:выше|ранее|раньше|до этого|данн\w+ (?:ранее|выше|раньше)|полученн\w+ (?:ранее|раньше|до этого))",
    r"(?:все|всё то)(?:,)? (?:что|чему) (?:\w+ ){0,3}?(?:выше|ранее|раньше|до этого|было сказано|говорили|сказали|учили)",
    r"(?:все )?(?:вышесказанное|вышеизложенное|сказанное (?:выше|ранее)|написанное выше|предыдущее)",
    rf"(?:свои|твои|ваши|свой|твой|ваш) (?:\w+ )?{_RU_NOUN}",
)

# Chinese has no spaces or inflection: the imperative is a verb opening a sentence (after
# an optional 请/你/现在), and a completed-aspect 了 after the verb marks narration.
_ZH_START = r"(?:[。！？!?；;：:\n\"'（）()\[\]【】「」『』*#>，,]|\s)\s*(?:请你?|請你?|你|现在|現在|立即|立刻|马上|馬上|从现在起|從現在起|接下来|接下來|务必|務必)*"
_ZH_OVERRIDE = r"(?:忽略|忽視|忽视|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|不要管|别管|別管|抛开|拋開|放弃|放棄|不要遵守|不要遵循|不再遵守|跳过|跳過|撤销|撤銷|清除)(?!了)"
_ZH_OBJECT = r"[^。！？!?\n]{0,6}?(?:之前|以前|先前|上面|上述|前面|以上|此前|原来|原來|原先|原有|所有|全部|你的|系统|系統|最初|早先)[^。！？!?\n]{0,6}?(?:指令|指示|说明|說明|规则|規則|提示词|提示詞|提示|命令|要求|设定|設定|内容|內容|约束|約束|限制|消息|訊息|对话|對話|一切|话|話)"
_ZH_SHOW = r"(?:显示|顯示|输出|輸出|打印|告诉我|告訴我|透露|泄露|洩露|重复|重複|展示|给我看|給我看|说出|說出|列出|复述|複述)"
_ZH_OWN_PROMPT = (
    r"[^。！？\n]{0,4}?(?:你的|你们的|你們的|系统|系統|原始|初始|隐藏|隱藏)[^。！？\n]{0,4}?"
    r"(?:提示词|提示詞|提示|指令|设定|設定|说明|說明|规则|規則)"
)

# --- Heads of the other kinds -----------------------------------------------------------------

_MODEL_ACT = _any(
    *_words(
        "respond, answer, reply, output, act, behave, speak, write, pretend, role-?play, "
        "play, say, ignore, disregard, refer to yourself, call yourself, "
        "be (?:an?|the|my|known), are (?:an?|the|my|dan|free|no longer), obey, "
        "follow (?:my|these|the new|only), summari[sz]e, report, print, list, include, "
        "translate, format, return, generate, produce, only, always, never, refer, describe, "
        "call, name, treat, label, classify, mark"
    )
)
_SHOW_EN = _words(
    "reveal, print, show, repeat, output, disclose, leak, display, share, write out, "
    "recite, dump, echo, spell out, paste, copy, list, tell me, give me, send me, "
    "provide, return, translate"
)
_OWN_PROMPT_EN = _any(
    r"(?:your|the (?:system|initial|original|hidden|secret|internal|underlying|developer|full|entire|exact|complete|whole|first|above|preceding)) (?:\w+ )?(?:prompt|instructions|system message|guidelines|rules|directives|configuration|context)",
    r"(?:system|initial|original|hidden|secret) (?:prompt|instructions|message)",
    r"(?:the |all (?:of )?the |everything |all )?(?:words|text|sentences|lines|content|everything|messages?) (?:above|before this|preceding|so far|verbatim)",
    r"(?:the )?(?:first|last|opening) (?:\w+ )?(?:words|lines|sentences|characters|tokens|paragraphs?) of (?:your|the) (?:system |initial |original )?(?:prompt|instructions|system message)",
)
_SHOW_ES = _words(
    "revela, revele, muestra, muestre, muéstrame, muestrame, dime, imprime, repite, "
    "escribe, comparte, divulga"
)
_OWN_PROMPT_ES = _any(
    r"(?:\w+ )?(?:tu|tus|su|sus) (?:\w+ )?(?:prompt|instrucciones|indicaciones|reglas|mensaje del sistema)",
    r"(?:\w+ )?(?:el|las|los) (?:prompt|instrucciones|indicaciones|mensaje) (?:del sistema|de sistema|originales|iniciales|ocultas|secretas)",
)
_SHOW_FR = _words(
    "révèle, révélez, montre(?:-moi)?, montrez(?:-moi)?, affiche, affichez, répète, "
    "répétez, donne-moi, donnez-moi, écris, écrivez, dis-moi, dites-moi, imprime, "
    "imprimez"
)
_OWN_PROMPT_FR = _any(
    r"(?:\w+ )?(?:ton|votre|tes|vos) (?:\w+ )?(?:prompt|instructions|consignes|règles|message système)",
    r"(?:\w+ )?(?:le|les) (?:prompt|instructions|consignes|message) (?:système|initiales?|originales?|cachées?|secrètes?)",
)
_SHOW_DE = _words("zeige, zeig, gib, nenne, wiederhole, verrate, schreibe, drucke, teile")
_OWN_PROMPT_DE = _any(
    r"(?:mir )?(?:\w+ )?(?:deinen|deine|dein|ihren|ihre|den|die) (?:\w+ )?(?:system-?prompt|prompt|anweisungen|systemanweisungen|instruktionen|regeln|vorgaben|richtlinien)",
)
_SHOW_RU = _words(
    "покажи, покажите, раскрой, раскройте, выведи, выведите, повтори, повторите, напиши, "
    "напишите, перечисли, перечислите, расскажи, расскажите, сообщи, сообщите, "
    "процитируй, процитируйте"
)
_OWN_PROMPT_RU = _p(
    r"(?: мне| нам)? (?:\w+ )?(?:свой|свои|твой|твои|ваш|ваши|системн\w+|исходн\w+|скрыт\w+|первоначальн\w+) (?:\w+ )?(?:промпт\w*|инструкци\w*|указани\w*|подсказк\w*|правил\w*|установк\w*)"
)
# Asking for specific output: a verb of writing in the imperative, then a colon or quote
# that introduces the content, or the model's own output named as where it goes.
_OUTPUT = (
    r"(?:summary|brief|answer|response|output|reply|threats?(?: list| field| section)?|"
    r"evidence|json|result|report|analysis)"
)
_WRITE_EN = _words(
    "output, print, write, say, state, report, declare, claim, respond (?:only )?with, "
    "reply (?:only )?with, answer (?:only )?with, return, include, add, insert, put, list, classify, label, mark, "
    "record, summarize, summarise, describe, present, treat"
)
_DICTATED = _any(
    r"(?:this|the following|these words|the text|the sentence|the phrase|the statement|plain text)\s*[:\"-]",
    r"(?:in|into|to|as) (?:your|the) " + _OUTPUT + r"\b",
    r"(?:the )?(?:single |exact |following |only |one )?(?:word|words|phrase|sentence|string)\b",
    r"(?:the |your )?(?:summary|answer|response|output|reply|brief)(?: field)? (?:says?|reads?|(?:should|must) (?:say|read|be|contain)|contains?)\s*[\"':]",
)
_ASSERT_EN = _words(
    "report, state, write, claim, declare, output, respond, answer, summarize, "
    "summarise, conclude, mention, assert"
)
_ROLE_EN = _words(
    "pretend (?:to be|you are|you're|that you), "
    "act (?:as|like) (?:if|though|an?|the|my|you|\\w+), role-?play as, roleplay as, "
    "play the (?:role|part) of, take on the (?:role|persona|identity|character) of, "
    "adopt the (?:role|persona|identity|character) of, "
    "assume the (?:role|persona|identity|character) of, behave (?:as|like), "
    "answer as (?:if|though) you, respond as (?:if|though) you, reply as (?:if|though) you, "
    "write as (?:if|though) you, speak as (?:if|though) you"
)
_MODEL_EN = _words(
    "ai, ai (?:systems?|models?|agents?|tools?|assistants?), llm, llms, language model, "
    "language models, assistant, assistants, chatbot, "
    "chatbots, bot, bots, model, models, summarizer, summariser, gpt, chatgpt, claude, "
    "gemini, copilot"
)
_NEW_EN = (
    r"(?:new|updated|real|actual|true|revised|override|priority|important|urgent|secret|"
    r"hidden|additional|admin|developer|correct|final) (?:instructions?|prompt|directives?|"
    r"task|orders|rules)\s*[:-]"
)
_CHAT_TOKENS = r"<\|[a-z_]{2,20}\|>|<<\/?sys>>|<\s*/?\s*(?:system|assistant|user|instructions?|im_start|im_end|start_of_turn|end_of_turn|prompt|human|article)\s*>"
# A chat role or a markdown heading of one, opening a line or following a sentence: after
# a line break, a sentence's end, or a rule (two or more of -=*#>), written as the one
# character these open with and what follows it, so the pattern opens with a set.
_LINE_ROLES = (
    r"[\n.!?=*#>-](?:(?<=\n)|(?<=[.!?])[\"')]*\s|(?<=[-=*#>])[-=*#>]+\s*)[^\w\n]{0,3}(?:#{1,6}\s*(?:system|instructions?|response|assistant|user|human|input|"
    r"prompt|task|new instructions?|admin|developer)\b|(?:system|assistant|developer|human|ai|"
    r"admin|administrator|operator|sys|sistema|système|systeme|система|系统|系統|asistente|"
    r"assistent|ассистент|助手)(?: message| prompt| note| instructions?| override| mensaje|"
    r" nachricht)?\s*[:：])"
)

_OVERRIDE = "instruction override"
_ROLE = "role reassignment"
_CHAT = "fake chat role"
_EXTRACT = "prompt extraction"
_OUTPUT_REQUEST = "output request"
_ADDRESSING = "addressing the model"
_NEW = "new instructions"

RULES: tuple[Rule, ...] = (
    # --- instruction override ---
    _clause(_OVERRIDE, _OVERRIDE_EN, _gap(3) + _OBJECT_ANY, _STRONG),
    _clause(_OVERRIDE, _OVERRIDE_EN, _gap(3) + _OBJECT_STRONG, _WEAK),
    # No imperative needed when the object can only be the model's own context.
    _clause(_OVERRIDE, _OVERRIDE_EN, _gap(2) + _OBJECT_MODEL),
    # Conceding the model's instructions: "whatever your system prompt says, ...".
    _clause(
        _OVERRIDE,
        _words("whatever, regardless, no matter, despite, notwithstanding, irrespective"),
        _p(
            r"(?: of)?(?: what)? (?:your (?:\w+ )?(?:system prompt|prompt|instructions?|rules|guidelines|programming|directives|training)|the (?:system prompt|prompt))\b"
        ),
    ),
    # A verb and particle around the object: "set your instructions aside".
    _clause(_OVERRIDE, _SET_ASIDE, SP + _OBJECT_MODEL + _PARTICLE),
    _clause(_OVERRIDE, _SET_ASIDE, SP + _OBJECT_ANY + _PARTICLE, _STRONG),
    _clause(
        _OVERRIDE,
        _INSTR,
        _p(
            rf" (?:are|is|have been|has been|have|has|were|shall be|will be)(?: now| hereby| henceforth| officially| all)* {_VOID}"
        ),
        _p(
            rf"(?<!\w)(?:your|all(?: of)?(?: the| your| my)?(?: \w+)? {_PRIOR}|(?:the )?(?:above|foregoing|preceding)) (?:\w+ )?"
        ),
    ),
    _clause(
        _OVERRIDE, _INSTR, _p(" (?:do not|don't|no longer) (?:apply|matter|count)"), _PRIOR + SP
    ),
    _clause(_OVERRIDE, _OVERRIDE_ES, _gap(3) + _OBJECT_ES, _ANY_INTRO),
    _clause(_OVERRIDE, _OVERRIDE_FR, _gap(3) + _OBJECT_FR, _ANY_INTRO),
    _clause(_OVERRIDE, _OVERRIDE_DE, _gap(3) + _OBJECT_DE, _ANY_INTRO),
    # Russian imperatives are word forms of their own: no sentence position needed.
    _clause(_OVERRIDE, _OVERRIDE_RU, _gap(3) + _OBJECT_RU),
    _cjk_clause(_OVERRIDE, _ZH_OVERRIDE, _ZH_OBJECT, _ZH_START),
    # --- role reassignment ---
    # Freed of its rules, or told it is not what it is: "imagine you have no rules",
    # "you are not a summarizer anymore".
    _clause(
        _ROLE,
        ("you(?:'re| are| have| had)",),
        _p(
            r" (?:now )?(?:no|free of|free from|not bound by|without|not limited by) (?:\w+ )?(?:rules|restrictions|limits|guidelines|filters|constraints|instructions|guardrails)\b"
        ),
    ),
    _clause(
        _ROLE,
        ("you(?:'re| are)",),
        _p(
            r" (?:not|no longer) (?:an?|the|my) (?:\w+ )?(?:summari[sz]er|assistant|ai|bot|chatbot|model|language model|analyst)\b"
        ),
    ),
    # The model named in the third person and told to drop its task or take a role.
    _clause(
        _ROLE,
        _words("assistant, summarizer, summariser, llm, language model"),
        _p(
            r" (?:must|should|shall|will|is to|needs to)(?: now)? (?:ignore|disregard|forget|act as|switch roles|pretend|output|say|write|replace|drop)\b"
        ),
        r"(?<!\w)(?:the|this|any|every) ",
    ),
    _clause(
        _ROLE,
        _words("developer, dan, jailbreak, god, unrestricted, unfiltered, debug, admin"),
        _p(r" mode (?:is )?(?:now )?(?:enabled|activated|on|engaged|unlocked)\b"),
        _BOUNDARY + r"[^\w\n]*",
    ),
    _clause(
        _ROLE,
        ("you(?:'re| are)",),
        _p(
            r" (?:now|no longer|henceforth|from now on|hereby) (?:an?|the|my|free|unrestricted|unfiltered|uncensored|jailbroken|dan|called|named|known as|going to|acting|operating|playing|bound|in \w+ mode|not (?:an?|bound|restricted))\b"
        ),
    ),
    _clause(
        _ROLE,
        _words(
            "from now on, henceforth, starting now, going forward, as of now, "
            "from (?:here|this point|this moment|this message) (?:on|onwards?|forward), "
            "rest of (?:this|the) (?:conversation|chat|session)"
        ),
        _p(
            r",? (?:you(?:'ll| will| must| shall| should| are to| are going to)? )?(?:only |always |never |now )?"
        )
        + _MODEL_ACT
        + r"\b",
    ),
    _clause(_ROLE, _ROLE_EN, "", _STRONG),
    _clause(
        _ROLE,
        ("you(?:'re| are)",),
        _p(
            r"(?: now)? (?:\w+ )?in (?:developer|dan|god|jailbreak|jailbroken|unrestricted|unfiltered|debug|admin) mode\b"
        ),
    ),
    _clause(
        _ROLE,
        ("you(?:'ve| have)(?: got| now| just)?",),
        _p(
            r"(?: been given| received)? (?:new|different|updated|fresh|other|additional|revised) (?:orders|instructions|rules|tasks?|directives|assignment|role)\b"
        ),
    ),
    _clause(
        _ROLE,
        ("you(?:'re| are) (?:an?|the)",),
        _p(r" (?:\w+ ){0,2}?(?:ai|assistant|language model|llm|chatbot|bot)\b")
        + r"(?!\s(?:company|developer|maker|firm|startup|industry|chip))",
    ),
    # The model's task redefined in the second person: "your real task is ...".
    _clause(
        _ROLE,
        ("your",),
        _p(
            r" (?:new|real|actual|true|only|next|updated) (?:role|name|identity|persona|task|job|purpose|goal|instructions?|rules|objective|mission|directive|assignment|orders)(?: now)?(?: is| are| will be|\s*:)"
        ),
    ),
    _clause(
        _ROLE,
        _words(
            "partir de (?:ahora|este momento|hoy), ahora en adelante, desde (?:ahora|este momento|hoy)"
        ),
        _p(
            r",? (?:eres|ser[áa]s|responde|responder[áa]s|act[úu]a|actuar[áa]s|debes|s[óo]lo|ignora|tu nueva|no)\b"
        ),
    ),
    _clause(_ROLE, ("ahora eres",), ""),
    _clause(
        _ROLE, ("eres",), _p(r" (?:ahora )?una? (?:\w+ )?(?:ia|asistente|modelo|bot|chatbot)\b")
    ),
    _clause(
        _ROLE, ("tu nuevo", "tu nueva"), _p(r" (?:rol|papel|nombre|tarea|identidad|funci[óo]n)\b")
    ),
    _clause(
        _ROLE,
        ("actúa como", "actua como", "finge"),
        _p(r" (?:si|un|una|el|la|ser|que)\b"),
        _STRONG,
    ),
    _clause(
        _ROLE,
        _words("partir de maintenant, désormais, dorénavant, dès maintenant, partir d'aujourd'hui"),
        _p(
            r",? (?:tu es|tu seras|vous êtes|vous serez|réponds|répondez|agis|agissez|tu dois|vous devez|ignore|ignorez|tu vas|vous allez|tu t'appelles|ne réponds)\b"
        ),
    ),
    _clause(_ROLE, ("tu es", "vous êtes"), _p(r" (?:maintenant|désormais|dorénavant)\b")),
    _clause(
        _ROLE,
        _words("ton nouveau rôle, votre nouveau rôle, ta nouvelle, votre nouvelle"),
        _p(r"(?: (?:tâche|mission|identité))?\b"),
    ),
    _clause(
        _ROLE,
        _words(
            "agis comme, agissez comme, fais comme si, faites comme si, joue le rôle, "
            "jouez le rôle, fais semblant, faites semblant"
        ),
        "",
        _STRONG,
    ),
    _clause(
        _ROLE,
        _words("ab jetzt, ab sofort, von nun an, von jetzt an, ab heute, fortan, künftig"),
        _p(
            r",? (?:bist du|du bist|antworte|antwortest du|sollst du|wirst du|handle|handelst du|verhalte dich|ignoriere|gibst du|gib|sprichst du|schreibe|schreibst du)\b"
        ),
    ),
    _clause(
        _ROLE,
        ("du bist",),
        _p(
            r" (?:jetzt|nun|ab sofort|ab jetzt|von nun an) (?:ein|eine|der|die|das|mein|meine|kein|keine|dan|frei)\b"
        ),
    ),
    _clause(_ROLE, ("deine neue",), _p(r" (?:rolle|aufgabe|identität)\b")),
    _clause(
        _ROLE,
        _words(
            "tu so als, tue so als, spiele die rolle, spiel die rolle, verhalte dich wie, "
            "agiere als, handle als"
        ),
        "",
        _STRONG,
    ),
    _clause(
        _ROLE,
        _words("этого момента, этой минуты, отныне, впредь, теперь"),
        _p(
            r",? (?:ты|вы) (?:\w+ )?(?:будешь|будете|являешься|являетесь|должен|должна|должны|отвечаешь|отвечай|играешь|бот|ии|ассистент|помощник|модель|свободн\w+|больше не)"
        ),
    ),
    _clause(
        _ROLE,
        _words("этого момента, этой минуты, отныне, впредь"),
        _p(
            r",? (?:отвечай|отвечайте|веди себя|ведите себя|действуй|действуйте|игнорируй|говори|пиши|притворись)"
        ),
    ),
    _clause(
        _ROLE,
        _words(
            "притворись, притворитесь, веди себя как, ведите себя как, сыграй роль, "
            "сыграйте роль, твоя новая (?:роль|задача|личность), твой новый (?:роль|задача)"
        ),
    ),
    _marker(
        _ROLE,
        r"(?:从现在(?:开始|起)|從現在(?:開始|起)|从今以后|從今以後|从此刻起|從此刻起)[，,\s]*(?:你|请|請)"
        r"|你(?:现在|現在)是|(?:现在|現在)你是|你(?:将|將|要)扮演|(?:请|請)扮演|假(?:装|裝)你是"
        r"|你的新(?:身份|角色|任务|任務|名字)",
        cjk=True,
    ),
    # --- fake chat role ---
    _marker(_CHAT, _CHAT_TOKENS, "<"),
    _marker(_CHAT, r"\[/?(?:inst|sys|system|assistant|user)\]", "["),
    _marker(_CHAT, _LINE_ROLES, "#", ":", "\uff1a"),
    _clause(
        _CHAT,
        _words("system, admin, developer, important, urgent, priority, security"),
        _p(r" (?:override|message|prompt|instructions?|note|notice|command|directive)\s*[:!-]"),
        _BOUNDARY + r"[^\w\n]*",
    ),
    _clause(
        _CHAT,
        ("begin", "start", "end", "beginning"),
        _p(
            r"(?: of)? (?:the )?(?:(?:system|hidden|new|secret) (?:prompt|instructions?|message)|(?:user|system) (?:input|prompt|message|instructions?)|(?:input|prompt|instructions)\b)"
        ),
    ),
    # --- prompt extraction ---
    _clause(_EXTRACT, _SHOW_EN, _gap(3) + _OWN_PROMPT_EN, _STRONG),
    _clause(
        _EXTRACT,
        _words(
            "reveal, print, show, repeat, output, disclose, leak, display, dump, recite, "
            "tell me, give me"
        ),
        _p(
            r"(?: \w+){0,2}? (?:your|the) (?:system prompt|initial prompt|original prompt|hidden (?:prompt|instructions)|secret (?:prompt|instructions)|pre-?prompt)"
        ),
    ),
    _clause(
        _EXTRACT,
        ("what (?:are|were|is) your",),
        _p(
            r" (?:\w+ )?(?:instructions|rules|system prompt|prompt|guidelines|directives|initial prompt)"
        ),
    ),
    _clause(_EXTRACT, _SHOW_ES, SP + _OWN_PROMPT_ES, _STRONG),
    _clause(_EXTRACT, _SHOW_FR, SP + _OWN_PROMPT_FR, _STRONG),
    _clause(_EXTRACT, _SHOW_DE, SP + _OWN_PROMPT_DE, _STRONG),
    _clause(_EXTRACT, _SHOW_RU, _OWN_PROMPT_RU),
    _cjk_clause(_EXTRACT, _ZH_SHOW, _ZH_OWN_PROMPT, _ZH_START),
    # --- output request ---
    _clause(_OUTPUT_REQUEST, _WRITE_EN, _gap(6) + _DICTATED, _STRONG),
    _clause(
        _OUTPUT_REQUEST,
        ("instead of",),
        _p(
            r" (?:summari[sz]ing|analy[sz]ing|briefing|answering|extracting|following|writing the (?:summary|brief)|doing (?:that|this|the task|your task))\b"
        ),
        _STRONG,
    ),
    _clause(
        _OUTPUT_REQUEST,
        ("replace",),
        _p(
            r" (?:the|your) (?:summary|answer|response|output|brief|issuer|threats?|evidence)\b(?: \w+){0,3} with\b"
        ),
        _STRONG,
    ),
    _clause(
        _OUTPUT_REQUEST,
        ("your",),
        _p(r" (?:answer|response|summary|reply|output|brief|json)\b"),
        _STRONG + r"\w+" + SP,
    ),
    _clause(
        _OUTPUT_REQUEST,
        _words(
            "summarize, summarise, analyze, analyse, process, translate, read, brief, parse, "
            "summarizing, summarising, analyzing, analysing, processing, reading, parsing"
        ),
        _p(r" (?:the|this) (?:article|text|story|document|passage|page|input)\b"),
        _STRONG + _p(r"(?:do not|don't|never|stop) "),
    ),
    _clause(
        _OUTPUT_REQUEST, _ASSERT_EN, SP + r"(?:(?:only|simply|instead)" + SP + r")?that\b", _STRONG
    ),
    _clause(
        _OUTPUT_REQUEST,
        ("your",),
        _p(
            rf" {_OUTPUT} (?:must|should|shall|will|needs to|has to|is to|may only) (?:\w+ ){{0,2}}?(?:say|state|include|contain|read|be|begin|start|mention|report|list|show|claim|name|only|consist|end)\b"
        ),
    ),
    _clause(_OUTPUT_REQUEST, ("your",), _p(rf" {_OUTPUT}\b"), _p(r"(?<!\w)(?:in|into) ")),
    _clause(
        _OUTPUT_REQUEST,
        ("field",),
        "",
        _p(r"(?<!\w)the (?:summary|threats|evidence|issuer|actors|conditions) "),
    ),
    _clause(
        _OUTPUT_REQUEST,
        _words("tu, ton, ta, votre, deiner, deinem, твоем, своем, вашем"),
        _p(
            r" (?:resumen|respuesta|résumé|réponse|zusammenfassung|antwort|ответе|резюме|сводке)(?!\w)"
        ),
        _p(r"(?<!\w)(?:en|dans|in|в) "),
    ),
    _marker(
        _OUTPUT_REQUEST,
        r"你的(?:摘要|总结|總結|回答|回复|回覆|输出|輸出)(?:中|里|裡)",
        cjk=True,
    ),
    # --- addressing the model ---
    _clause(
        _ADDRESSING,
        _MODEL_EN,
        "",
        _p(
            r"(?<!\w)(?:(?:note|message|instructions?|attention|reminder|hint|memo|notice|warning|directive)s? (?:to|for) (?:the |any |all |every )?|(?:dear|hey|hi|hello|attention|attn|psst|listen),? (?:the |you |dear |all |any |every )?|if you are (?:an?|the|any) (?:\w+ )?|as an? (?:\w+ )?)"
        ),
    ),
    _clause(
        _ADDRESSING,
        _MODEL_EN,
        _p(
            r" (?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|ingesting|scanning) this\b"
        ),
    ),
    _clause(
        _ADDRESSING,
        _words(
            "ia, inteligencia artificial, modelo de lenguaje, asistente, chatbot, "
            "intelligence artificielle, modèle de langage, assistant, ki, sprachmodell, assistent"
        ),
        "",
        _p(
            r"(?<!\w)(?:si eres|nota para (?:la|el)|si tu es|si vous êtes|note (?:à|pour) (?:l'|le |la )?|wenn du|falls du|hinweis (?:an|für) (?:die |den )?)(?: une?| una?| eine?)? ?"
        ),
    ),
    _clause(
        _ADDRESSING,
        _words("если ты, если вы, примечание для, обращение к"),
        _p(r" (?:\w+ )?(?:ии|нейросет\w*|языков\w+ модел\w*|ассистент\w*|чат-?бот\w*)"),
    ),
    _marker(
        _ADDRESSING,
        r"如果你是(?:一个|一個)?(?:ai|人工智能|人工智慧|语言模型|語言模型|大模型|助手|聊天机器人|聊天機器人)"
        r"|(?:致|给|給)(?:ai|人工智能|语言模型|語言模型|大模型)的(?:指令|说明|說明|提示|话|話|留言)",
        cjk=True,
    ),
    # --- new instructions ---
    _clause(
        _NEW,
        _words(
            "new, updated, real, actual, true, revised, override, priority, important, urgent, "
            "secret, hidden, additional, admin, developer, correct, final"
        ),
        _p(
            r" (?:instructions?|prompt|directives?|task|orders|rules|objective|goal|mission|assignment|role)\s*[:-]"
        ),
        _STRONG,
    ),
    _clause(
        _NEW,
        _words("here are, these are, below are, following are"),
        _p(
            r" (?:your|the) (?:new|real|actual|updated|true|revised) (?:instructions|rules|task|orders|directives)\b"
        ),
    ),
    _clause(
        _NEW,
        _words("new, real, actual, true, correct, updated"),
        _p(
            r" (?:instructions|rules|orders|directives) (?:are |follow |come )?(?:below|next|as follows)\b"
        ),
    ),
    _clause(_NEW, ("follow only",), _p(r" (?:these|the following|this|my|the new)\b"), _STRONG),
    _clause(
        _NEW,
        _words(
            "nuevas instrucciones, nouvelles instructions, nouvelles consignes, "
            "neue anweisungen, neue instruktionen, новые инструкции, новые указания"
        ),
        r"\s*[:-]",
        _BOUNDARY + r"[^\w\n]*",
    ),
    _marker(_NEW, r"新(?:的)?(?:指令|指示|任务|任務)\s*[:：]", cjk=True),
    # --- fake brief ---
    _marker("fake brief", r"\{\s*[\"'](?:summary|threats|issuer|actors|evidence)[\"']\s*:", "{"),
)
