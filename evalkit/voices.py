"""In their own words: participants' comments, themes, quotes and success stories, scrubbed before shown.

Free text is the easiest place for a report to name someone. Everything this
module returns for display has passed :func:`redact`, which removes contact
details (emails, phone numbers in US, UK and international formats, street
addresses and postcodes, web addresses), every participant id of the roster and
every value of the participants' identifying columns
(:data:`evalkit.schema.IDENTIFYING_COLUMNS`, e.g. ``name``). :func:`scrub_tables`
applies the same scrubbing when a data folder is loaded, so contact details
never enter a :class:`~evalkit.load.Dataset` (nor the per-partnership slices a
batch run writes), stories told without consent keep no text, and identifying
columns are dropped once their values have been used to scrub the text.

Counting follows :mod:`evalkit.privacy`: a theme is counted in people (distinct
participants whose comments mention it); a count under the minimum group size
*k* reads "fewer than k" and its share is not shown, and a theme's quotes are
shown only when at least *k* people mention it, so a quote is never attributed
to a group smaller than *k*.

Redaction is pattern-based and errs towards removing too much (a date written
``12.03.2025 14:20`` or an id that is also a common word may be blanked). It
cannot know a name that is in no table (a staff member's, say): an analyst's
reading of the quotes a report shows remains part of publishing it.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

from evalkit import schema
from evalkit.privacy import (DEFAULT_MIN_GROUP_SIZE, PROTECTS, check_min_group_size, complementary_cells,
                             safe_rate)

__all__ = ["redact", "roster_terms", "scrub_tables", "theme_codes", "themes", "quotes", "success_stories",
           "without_contact_sentences", "PLACEHOLDERS"]

#: What each kind of removed text is replaced with.
PLACEHOLDERS = {"email": "[email]", "url": "[link]", "phone": "[phone]", "address": "[address]",
                "id": "[id]", "name": "[name]", "handle": "[handle]"}

_EMAIL = re.compile(r"[\w.+%'-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[\w-]+)+", re.I)
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']+"
                  r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|io|co|uk|us|info|ly|me)\b(?:/[^\s<>\"']*)?",
                  re.I)
# A phone number: an optional +country code, an optional area code in parentheses (UK "(0)" too), then
# digit groups separated by single spaces, dots or dashes: 7 to 15 digits in all. ISO dates are kept (below).
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\s?)?(?:\(\d{1,5}\)\s?)?\d(?:(?:[ .-]|\s?\(\d{1,5}\)\s?)?\d){6,16}"
    r"(?:\s*(?:ext\.?|x)\s*\d{1,5})?(?!\w)", re.I)
# a social-media handle (@maria_g, @Maria.G99): an @ right before a name, not inside a word or an e-mail
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
_YEARS = re.compile(r"^(?:19|20)\d\d\s?-\s?(?:19|20)?\d\d$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STREET_WORDS = (r"(?:street|avenue|road|lane|drive|boulevard|court|place|terrace|crescent|square|"
                 r"highway|parkway|circle|grove|gardens|mews)\b"
                 r"|(?:st|ave|rd|ln|dr|blvd|ct|pl|cres|sq|hwy|pkwy|cir)\b\.?")
_ADDRESS = re.compile(
    r"\b\d{1,6}[a-z]?(?:-\d{1,6})?,?\s+(?:[A-Z][\w'-]*\.?\s+){0,4}(?:" + _STREET_WORDS + r")"
    r"(?:,?\s*(?:apt|apartment|unit|suite|ste|flat|#)\.?\s*#?\w+)?", re.I)
_PO_BOX = re.compile(r"\bp\.?\s?o\.?\s*box\s+\d+\b", re.I)
_POSTCODE_UK = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_US_STATES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
              "ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY").split()
# a ZIP code after a state's two-letter code ("Springfield, IL 62704", "TX 78701-1234"): a bare number is kept
_POSTCODE_US = re.compile(r"\b(?:" + "|".join(_US_STATES) + r"),?\s+\d{5}(?:-\d{4})?\b")
_TOKEN = re.compile(r"[^\W_](?:[\w.'/-]*[^\W_])?")
_RUNS = {p: re.compile(r"(?:" + re.escape(p) + r")(?:[\s,]+" + re.escape(p) + r")+") for p in
         (PLACEHOLDERS["name"], PLACEHOLDERS["id"])}


def _phone(match: re.Match) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if _ISO_DATE.match(text.strip()) or _YEARS.match(text.strip()) or not 7 <= len(digits) <= 15:
        return text
    if re.fullmatch(r"\d+", text) and len(digits) < 9:  # a bare number such as 2025000 is not a phone
        return text
    return PLACEHOLDERS["phone"]


def roster_terms(data) -> tuple[set[str], set[str]]:
    """The words a quote must never show: participant ids and the values of identifying columns.

    Parameters
    ----------
    data : evalkit.load.Dataset or None

    Returns
    -------
    ids, names : set of str
        Lower-cased participant ids; lower-cased values of every identifying column
        (:data:`evalkit.schema.IDENTIFYING_COLUMNS`) and, for names, each of their words
        of two letters or more (``"Jordan Lee"`` gives ``"jordan lee"``, ``"jordan"``, ``"lee"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> people = pd.DataFrame({"participant_id": ["A-1"], "name": ["Jordan Lee"]})
    >>> ids, names = roster_terms(SimpleNamespace(participants=people))
    >>> sorted(ids), sorted(names)
    (['a-1'], ['jordan', 'jordan lee', 'lee'])
    """
    if data is None:
        return set(), set()
    people = data.participants
    ids = {str(x).strip().lower() for x in people["participant_id"].dropna()} if "participant_id" in people else set()
    names: set[str] = set()
    for col in [c for c in people.columns if c in schema.IDENTIFYING_COLUMNS]:
        for value in people[col].dropna().astype(str):
            value = value.strip().lower()
            if not value:
                continue
            names.add(value)
            names.update(w for w in _TOKEN.findall(value) if len(w) >= 2)
    return ids - {""}, names


def redact(text, data=None, *, ids=(), names=(), terms=None) -> str:
    """Remove what could identify a person from a piece of free text.

    Method, in order: emails (also ``name (at) domain (dot) org``), web addresses
    (with a scheme, ``www.``, or a bare domain such as ``example.org/x``), social-media
    handles (``@maria_g``: an ``@`` directly before a name, not inside a word), street
    addresses (a house number, up to four words and a street word such as
    ``Street``, ``Ave``, ``Rd``, with an apartment or unit), PO boxes, UK
    postcodes and US ZIP codes after a state's code (``IL 62704``), phone numbers (an optional ``+``/``00`` country code, an optional
    area code in parentheses, then groups of digits separated by spaces, dots or
    dashes: 7 to 15 digits in all, an extension allowed; ISO dates and bare
    numbers under 9 digits are kept), then every word that is a participant id
    of the roster or part of a value of an identifying column, case ignored.
    Each is replaced by a placeholder (:data:`PLACEHOLDERS`); neighbouring name
    or id placeholders merge into one.

    Parameters
    ----------
    text : str
    data : evalkit.load.Dataset, optional
        Supplies the roster (:func:`roster_terms`).
    ids, names : iterable of str, optional
        More participant ids and names to remove (any case).
    terms : tuple of (set, set), optional
        Precomputed :func:`roster_terms` (ids, names), to scrub many texts at once.

    Returns
    -------
    str
        The text with every match replaced. Missing text gives ``""``.

    Notes
    -----
    Assumptions: a name is removed only if it is in the roster (or ``names``);
    pattern matching errs towards removing too much rather than too little.

    Examples
    --------
    >>> redact("Write to jo.doe@mail.com or call (555) 014-2368, 12 Elm Street.")
    'Write to [email] or call [phone], [address].'
    >>> redact("Thanks P7 and Jordan!", ids=["p7"], names=["Jordan"])
    'Thanks [id] and [name]!'
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    roster = terms if isinstance(terms, _Roster) else _Roster.build(*(terms if terms is not None else roster_terms(data)))
    if ids or names:
        roster = _Roster.build(roster.ids | {str(i) for i in ids}, roster.names | _name_terms(names))
    out = str(text)
    out = _EMAIL.sub(PLACEHOLDERS["email"], out)
    out = _URL.sub(PLACEHOLDERS["url"], out)
    out = _HANDLE.sub(PLACEHOLDERS["handle"], out)
    out = _PO_BOX.sub(PLACEHOLDERS["address"], out)
    out = _ADDRESS.sub(PLACEHOLDERS["address"], out)
    out = _POSTCODE_UK.sub(PLACEHOLDERS["address"], out)
    out = _POSTCODE_US.sub(PLACEHOLDERS["address"], out)
    out = _PHONE.sub(_phone, out)
    return roster.scrub(out)


def _name_terms(names) -> set[str]:
    """Lower-cased names and each of their words of two letters or more."""
    out: set[str] = set()
    for n in names:
        n = str(n).strip().lower()
        if n:
            out.add(n)
            out.update(w for w in _TOKEN.findall(n) if len(w) >= 2)
    return out


class _Roster:
    """Participant ids and names prepared once for scrubbing many texts.

    Multi-word ids and names are matched as whole phrases by one alternation
    (longest first, ids before names); single words are looked up in sets while
    the text's words are scanned once. Preparing costs O(roster); each text then
    costs O(its length), not O(roster).
    """

    __slots__ = ("ids", "names", "_phrases", "_phrase_marks")

    def __init__(self, ids, names):
        self.ids = frozenset(x for x in (str(i).strip().lower() for i in ids) if x)
        self.names = frozenset(x for x in (str(n).strip().lower() for n in names) if x)
        marks = {p: PLACEHOLDERS["name"] for p in self.names if not _single_token(p)}
        marks.update({p: PLACEHOLDERS["id"] for p in self.ids if not _single_token(p)})
        self._phrase_marks = marks
        self._phrases = (re.compile(r"(?<![\w])(?:" + "|".join(re.escape(p) for p in sorted(marks, key=len, reverse=True))
                                    + r")(?![\w])", re.I) if marks else None)

    @classmethod
    def build(cls, ids, names) -> "_Roster":
        return cls(ids, names)

    def _phrase(self, m: re.Match) -> str:
        return self._phrase_marks.get(m.group(0).lower(), PLACEHOLDERS["name"])

    def _word(self, m: re.Match) -> str:
        w = m.group(0).lower()
        if w in self.ids:
            return PLACEHOLDERS["id"]
        if w in self.names:
            return PLACEHOLDERS["name"]
        # "Jordan's", "P001-0001." and ids inside a longer token
        parts = re.split(r"([.'/-])", m.group(0))
        if len(parts) > 1 and any(p.lower() in self.ids or p.lower() in self.names for p in parts[::2]):
            return "".join(PLACEHOLDERS["id"] if p.lower() in self.ids else PLACEHOLDERS["name"]
                           if p.lower() in self.names else p for p in parts)
        return m.group(0)

    def scrub(self, text: str) -> str:
        """Replace the roster's phrases, then its words, then merge neighbouring placeholders."""
        if self._phrases is not None:
            text = self._phrases.sub(self._phrase, text)
        if self.ids or self.names:
            text = _TOKEN.sub(self._word, text)
        for mark, run in _RUNS.items():
            text = run.sub(mark, text)
        return text


def _single_token(value: str) -> bool:
    return _TOKEN.fullmatch(value) is not None


# ---- scrubbing at load time ---------------------------------------------------------------------------

#: free-text columns scrubbed when a data folder is loaded (table -> columns).
FREE_TEXT = {"comments": ("text", "question"), "stories": ("title", "text", "told_by"),
             "milestones": ("milestone", "owner"), "indicators": ("label",), "partner_survey": ("label",)}
#: what a story told without consent keeps of its text.
WITHHELD = "(not shown: told without consent to publish)"


def scrub_tables(tables: dict) -> dict:
    """Scrub the free text of loaded tables so that no contact detail or name enters a Dataset.

    Method: every column of :data:`FREE_TEXT` goes through :func:`redact` with the
    whole roster (participant ids and identifying columns of ``participants``);
    the title, text and teller of a story without consent are replaced by
    :data:`WITHHELD` (it is counted, never shown); then the identifying columns
    are dropped from ``participants``. Tables are copied, never changed in place.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Typed tables by name (as :func:`evalkit.load.load_data` builds them).

    Returns
    -------
    dict of str to DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> t = {"participants": pd.DataFrame({"participant_id": ["A1"], "partnership_id": ["p"], "name": ["Ana Ruiz"]}),
    ...      "comments": pd.DataFrame({"text": ["Ana Ruiz (A1) ana@x.org"], "question": ["?"]})}
    >>> s = scrub_tables(t)
    >>> s["comments"]["text"][0], list(s["participants"].columns)
    ('[name] ([id]) [email]', ['participant_id', 'partnership_id'])
    """
    out = dict(tables)
    people = tables.get("participants")

    class _People:
        participants = people if people is not None else pd.DataFrame()

    roster = None   # built on first use: a data folder without free text (or a large roster) pays nothing
    done: dict = {}  # each distinct text is scrubbed once (questions, labels and owners repeat over many rows)

    def scrubbed(text: str) -> str:
        if text not in done:
            done[text] = redact(text, terms=roster)
        return done[text]

    for table, columns in FREE_TEXT.items():
        frame = tables.get(table)
        if frame is None or frame.empty:
            continue
        if roster is None:
            roster = _Roster.build(*roster_terms(_People))
        frame = frame.copy()
        for col in columns:
            if col in frame.columns:
                codes, texts = pd.factorize(frame[col])  # each distinct text once; missing cells: code -1
                cleaned = np.array([*(scrubbed(v) for v in texts), None], dtype=object)[codes]
                frame[col] = pd.Series(cleaned, index=frame.index, dtype=frame[col].dtype if len(frame) else "str")
        if table == "stories" and "consent" in frame.columns:
            hidden = ~frame["consent"].astype(bool)
            for col in ("title", "text", "told_by"):
                if col in frame.columns:
                    frame.loc[hidden, col] = WITHHELD
        out[table] = frame
    if people is not None:
        out["participants"] = people.drop(columns=[c for c in people.columns if c in schema.IDENTIFYING_COLUMNS])
    return out


# ---- themes -----------------------------------------------------------------------------------------------

def _keyword_pattern(keywords: str) -> re.Pattern | None:
    """``"mentor*; role model"`` -> one case-insensitive regex matching any keyword as whole words."""
    parts = [k.strip() for k in re.split(r"[;,]", str(keywords)) if k.strip()]
    if not parts:
        return None
    alts = []
    for k in parts:
        stem = k.endswith("*")
        body = r"\s+".join(re.escape(w) for w in k.rstrip("*").split())
        alts.append(body + (r"\w*" if stem else ""))
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.I)


def _known(data, partnership_id, table: pd.DataFrame) -> None:
    """InputError for a partnership id neither in the data's partnerships nor in ``table`` (its comments or
    stories): a typo would otherwise find none, as if the partnership had none."""
    from evalkit.compare import known_values

    if partnership_id is not None and not (isinstance(partnership_id, str)   # the usual case, checked cheaply
                                           and partnership_id in set(data.partnerships["partnership_id"])):
        known_values(partnership_id, {*data.partnerships["partnership_id"], *table["partnership_id"]},
                     "partnership_id")


def _comments_of(data, partnership_id):
    _known(data, partnership_id, data.comments)
    c = data.comments
    if partnership_id is not None:
        c = c[c["partnership_id"] == partnership_id]
    return c.reset_index(drop=True)


def theme_codes(data, partnership_id: str | None = None) -> tuple[pd.DataFrame, str]:
    """Which themes each comment mentions, and how that was decided.

    Method: when any of the partnership's comments carries the analyst's
    ``theme``, those codes are used (``"analyst"``; uncoded comments mention no
    theme). Otherwise each comment is matched against the keywords of the
    ``themes`` codebook (``"keywords"``): keywords are separated by ``;`` or
    ``,``, matched case-insensitively as whole words or phrases, and a trailing
    ``*`` matches any ending (``mentor*`` finds "mentoring"). A comment may
    mention several themes. Without either, comments are not coded (``"none"``).

    Returns
    -------
    codes : pandas.DataFrame
        ``row`` (position of the comment among the partnership's comments),
        ``participant_id``, ``theme``: one row per comment and theme it mentions.
    coding : {"analyst", "keywords", "none", "mixed"}
        ``"mixed"`` only for several partnerships (``partnership_id=None``) coded differently:
        each partnership is coded on its own.

    Examples
    --------
    >>> import evalkit
    >>> codes, how = theme_codes(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> how
    'analyst'
    """
    c = _comments_of(data, partnership_id)
    if partnership_id is None and c["partnership_id"].nunique() > 1:  # each partnership coded its own way
        return _pooled_codes(_code_each(c, data))
    return _code(c, data)


def _code_each(c: pd.DataFrame, data) -> dict:
    """Each partnership's comments (rows of ``c``, its index kept) with their :func:`_code` codes and coding.

    The codebook's keywords are matched against all of ``c``'s comments once (a match depends on the
    comment alone), each partnership coded by keywords taking its comments' matches.
    """
    hits = None
    out = {}
    for pid, g in c.groupby("partnership_id", sort=False):
        if hits is None and not g.empty and not g["theme"].notna().any():
            book = data.themes.dropna(subset=["keywords"])
            text = c["text"].fillna("")
            found = [None if (pattern := _keyword_pattern(keywords)) is None else text.str.contains(pattern)
                     for keywords in book["keywords"]]
            # only plain True/False (a text that is not a string gives a missing match: left to _code)
            hits = ([None if h is None else h.to_numpy(dtype=bool) for h in found]
                    if all(h is None or h.dtype == bool for h in found) else False)
        at = g.index.to_numpy()   # c's index is its row positions (_comments_of)
        out[pid] = (g, *_code(g, data, [h if h is None else h[at] for h in hits] if hits else None))
    return out


def _pooled_codes(each: dict) -> tuple[pd.DataFrame, str]:
    """:func:`theme_codes` of several partnerships from :func:`_code_each`: codes in row order, one coding."""
    parts = [(codes, how) for _, codes, how in each.values()]
    hows = {how for codes, how in parts if len(codes)} or {"none"}
    codes = pd.concat([p for p, _ in parts], ignore_index=True).sort_values("row", kind="stable")
    return codes.reset_index(drop=True), hows.pop() if len(hows) == 1 else "mixed"


def _code(c: pd.DataFrame, data, hits: list | None = None) -> tuple[pd.DataFrame, str]:
    """:func:`theme_codes` of one partnership's comments ``c`` (``row`` = ``c``'s index).

    ``hits``: for each row of the codebook with keywords, which of ``c``'s comments its keywords match
    (None: no keywords), when already known.
    """
    empty = pd.DataFrame({"row": pd.Series([], dtype=int), "participant_id": pd.Series([], dtype="str"),
                          "theme": pd.Series([], dtype="str")})
    if c.empty:
        return empty, "none"
    if c["theme"].notna().any():
        coded = c[c["theme"].notna()]
        return pd.DataFrame({"row": coded.index.to_numpy(), "participant_id": coded["participant_id"].to_numpy(),
                             "theme": coded["theme"].to_numpy()}), "analyst"
    book = data.themes.dropna(subset=["keywords"])
    if book.empty:
        return empty, "none"
    rows = []
    for i, (theme, keywords) in enumerate(zip(book["theme"], book["keywords"])):
        if hits is None:
            pattern = _keyword_pattern(keywords)
            if pattern is None:
                continue
            hit = c["text"].fillna("").str.contains(pattern)
        elif hits[i] is None:
            continue
        else:
            hit = hits[i]
        rows.append(pd.DataFrame({"row": c.index[hit], "participant_id": c.loc[hit, "participant_id"].to_numpy(),
                                  "theme": theme}))
    return (pd.concat(rows, ignore_index=True) if rows else empty), "keywords"



#: the row of :func:`themes` counting people whose comments mention no theme (or every commenter, uncoded).
NO_THEME = "(no theme)"

CODING_NOTE = {
    "analyst": "themes as coded by the analyst",
    "keywords": "themes found by the keywords of the themes codebook",
    "none": "comments not coded into themes",
    "mixed": "themes coded by the analyst in some partnerships and by the codebook's keywords in the others",
}


def themes(data, partnership_id: str | None = None, *,
           min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """How many people mention each theme in their comments, with shares, suppressed for small groups.

    Method: comments are coded by :func:`theme_codes`. Each theme's count is the
    number of distinct participants with a comment mentioning it; its share is
    that count over the participants who commented at all. Privacy
    (:mod:`evalkit.privacy`): counts from 1 to ``min_group_size - 1`` are
    blanked ("fewer than k"); because themes and the row of people mentioning no
    theme nearly partition the commenters, whose number is shown, the smallest
    other count is blanked too when the blanked ones sum to under *k*
    (:func:`~evalkit.privacy.complementary_cells`); shares are shown only when
    both counts reach *k* (:func:`~evalkit.privacy.safe_rate`). Pooled over
    partnerships, a count is blanked too when, less the counts the partnerships'
    own reports show, it would give away what one report withholds
    (:func:`_revealing_pooled`).

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str, optional
        One partnership, or every partnership pooled (the portfolio view).
    min_group_size : int

    Returns
    -------
    pandas.DataFrame
        One row per theme (codebook order, then themes coded but not in the
        codebook, then :data:`NO_THEME` for people mentioning none, if any): ``theme, description, n_people, share,
        suppressed, note`` (:data:`PROTECTS` for every blanked count, small or blanked by complementary
        suppression), ``coding`` (see :data:`CODING_NOTE`), ``n_commenters`` (blank below *k*). Empty when there are no comments.

    Examples
    --------
    >>> import evalkit
    >>> t = themes(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> t["coding"].iloc[0]
    'analyst'
    """
    k = check_min_group_size(min_group_size)
    c = _comments_of(data, partnership_id)
    if c.empty:
        return pd.DataFrame(columns=_THEME_COLUMNS)
    each = None
    if partnership_id is None and c["partnership_id"].nunique() > 1:   # pooled: each partnership coded once
        each = _code_each(c, data)
        codes, coding = _pooled_codes(each)
    else:
        codes, coding = theme_codes(data, partnership_id)
    return _theme_table(data, c, codes, coding, partnership_id, k, each)


_THEME_COLUMNS = ["theme", "description", "n_people", "share", "suppressed", "note", "coding", "n_commenters"]


def _theme_table(data, c: pd.DataFrame, codes: pd.DataFrame, coding: str, partnership_id, k: int,
                 each: dict | None) -> pd.DataFrame:
    """:func:`themes` of comments ``c`` coded ``codes``; ``each`` (:func:`_code_each`) when pooled."""
    key = ["partnership_id", "participant_id"] if partnership_id is None else ["participant_id"]
    n_commenters = len(c[key].drop_duplicates())
    if partnership_id is None:
        codes = codes.assign(partnership_id=c.loc[codes["row"], "partnership_id"].to_numpy())
    order: list[str] = []
    counts: list[int] = []
    if coding != "none":
        per_theme = codes.drop_duplicates(key + ["theme"]).groupby("theme", sort=False).size()
        book = list(data.themes["theme"].dropna())
        order = [t for t in book if t in per_theme.index] + [t for t in per_theme.index if t not in book]
        counts = [int(per_theme[t]) for t in order]
        mentioned = len(codes.drop_duplicates(key)) if len(codes) else 0
        if n_commenters - mentioned:
            order.append(NO_THEME)
            counts.append(n_commenters - mentioned)
    else:
        order, counts = [NO_THEME], [n_commenters]
    descriptions = dict(zip(data.themes["theme"], data.themes["description"]))
    n = np.asarray(counts, dtype=float)
    revealing = _revealing_pooled(data, order, n, k, each) if each is not None else None
    blank = complementary_cells(n, k, suppressed=revealing) if n_commenters >= k else np.ones(len(n), bool)
    shown = np.where(blank, np.nan, n)
    share = safe_rate(pd.Series(shown), n_commenters, k).to_numpy()
    primary = ((n > 0) & (n < k)) | (n_commenters < k)
    # every blanked theme reads alike, small or blanked to protect a smaller one (privacy, rule 2): "fewer than k"
    # for the small ones would tell a reader the others hold k or more. Too few commenters: all are small.
    note = np.where(blank & (n > 0), PROTECTS if n_commenters >= k else f"fewer than {k}", "")
    return pd.DataFrame({
        "theme": order,
        "description": [descriptions.get(t) for t in order],
        "n_people": pd.array([None if np.isnan(x) else int(x) for x in shown], dtype="Int64"),
        "share": share,
        "suppressed": blank & (n > 0),
        "note": note,
        "coding": coding,
        "n_commenters": pd.array([n_commenters if n_commenters >= k else None] * len(order), dtype="Int64"),
    })


def _revealing_pooled(data, order: list[str], pooled: np.ndarray, k: int, each: dict | None = None) -> np.ndarray:
    """Which pooled theme counts would give away a count that a partnership's own report withholds.

    Each report shows its own theme counts (:func:`themes` of that partnership), so the pooled count
    minus the counts the reports show is the sum of the counts they withhold. It may be shown when it
    adds nothing (0), or when it is a sum of *k* or more people over two or more reports; one report's
    withheld count, or a sum under *k* (25 pooled - 12 - 11 shown = 2 in the third report), is blanked.
    Assumption: a sum over two or more reports is not audited against each report's own margins.
    ``each`` (:func:`_code_each` of all the comments): the partnerships' comments and codes, so that each
    report's table is made from them (:func:`_theme_table`, as :func:`themes` makes it) rather than coded again.
    """
    shown, withheld = np.zeros(len(order)), np.zeros(len(order), int)
    for pid in data.comments["partnership_id"].dropna().unique():
        own = (_theme_table(data, *each[pid], pid, k, None) if each is not None and pid in each
               else themes(data, pid, min_group_size=k))
        counts = dict(zip(own["theme"], own["n_people"]))
        for i, theme in enumerate(order):
            if theme in counts:
                if pd.isna(counts[theme]):
                    withheld[i] += 1
                else:
                    shown[i] += int(counts[theme])
    rest = pooled - shown
    return (rest > 0) & ((rest < k) | (withheld < 2))


#: Placeholders of contact details: a sentence holding one is left out of a quote (a name is replaced in place).
_CONTACT = re.compile("|".join(re.escape(PLACEHOLDERS[k])
                               for k in ("email", "url", "phone", "address", "id", "handle")))
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
OMITTED = "[\u2026]"


def without_contact_sentences(text: str) -> str:
    """A redacted comment without the sentences that held contact details, each gap marked "[…]".

    Method: the text (already passed through :func:`redact`) is split into sentences after ``.``,
    ``!`` or ``?`` and a space; a sentence holding a contact placeholder ("[email]", "[phone]",
    "[address]", "[link]", "[id]", "[handle]") is replaced by "[…]", neighbouring gaps by one. What is
    left is what the participant said about the programme: "My mentor changed everything for us.
    I am [id]: email me at [email] ..." is quoted as "My mentor changed everything for us. […]".
    A name placeholder stays where it stands ("My tutor [name] was wonderful." still says something).

    Returns
    -------
    str
        The quote, or "" when every sentence held contact details (such a comment is not quoted).

    Examples
    --------
    >>> without_contact_sentences("Great tutors. Call me on [phone].")
    'Great tutors. [\u2026]'
    """
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        if _CONTACT.search(sentence):
            if not kept or kept[-1] != OMITTED:
                kept.append(OMITTED)
        elif sentence:
            kept.append(sentence)
    return "" if all(x == OMITTED for x in kept) else " ".join(kept)


def _stable_key(text: str) -> str:
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def quotes(data, partnership_id: str, *, per_theme: int = 3, min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
           attribute_by: str | None = None, max_chars: int = 400) -> pd.DataFrame:
    """Two or three quotes per theme, scrubbed, never attributed to a group smaller than the minimum size.

    Method: only themes that at least ``min_group_size`` people mention get
    quotes (a quote from a smaller theme would be attributed to fewer than *k*
    people). Within a theme the analyst's ``featured`` comments come first, then
    a deterministic choice: comments ordered by the SHA-256 of their text (the
    same data always give the same quotes, and no kind of comment is favoured),
    one quote per person, no repeated text. Every quote passes :func:`redact`
    with the roster; a sentence that held contact details is left out, marked
    "[…]" (:func:`without_contact_sentences`), and a comment with nothing else is
    not quoted (even when featured); longer quotes are cut at ``max_chars``. The attribution
    names the survey wave, and the ``attribute_by`` group (a participants' group
    column) only when the people in that theme and group number at least *k*.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    per_theme : int, default 3
    min_group_size : int
    attribute_by : str, optional
        A group column of ``data.participants`` to attribute quotes to (e.g. ``"age_group"``).
    max_chars : int

    Returns
    -------
    pandas.DataFrame
        ``theme, quote, attribution, featured``; empty when nothing can be quoted.

    Examples
    --------
    >>> import evalkit
    >>> q = quotes(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> bool(q["quote"].str.contains("@").any())
    False
    """
    from evalkit.errors import InputError

    k = check_min_group_size(min_group_size)
    if isinstance(per_theme, bool) or not isinstance(per_theme, (int, np.integer)) or per_theme < 0:
        raise InputError(f"per_theme must be a whole number of at least 0 (quotes per theme), got {per_theme!r}")
    if attribute_by is not None and attribute_by not in data.group_columns:
        raise InputError(f"attribute_by={attribute_by!r} is not a group column; group columns: {data.group_columns}")
    c = _comments_of(data, partnership_id)
    columns = ["theme", "quote", "attribution", "featured"]
    if c.empty:
        return pd.DataFrame(columns=columns)
    codes, _ = theme_codes(data, partnership_id)
    counts = themes(data, partnership_id, min_group_size=k)
    big = counts.loc[(counts["n_people"].fillna(0) >= k) & (counts["theme"] != NO_THEME), "theme"].tolist()
    roster = _Roster.build(*roster_terms(data))
    people = data.participants[data.participants["partnership_id"] == partnership_id]
    group_of = people.set_index("participant_id")[attribute_by] if attribute_by else None
    rows = []
    for theme in big:
        mine = c.loc[codes.loc[codes["theme"] == theme, "row"].unique()].copy()
        mine["_featured"] = mine["featured"].astype(bool)
        mine["_key"] = mine["text"].map(_stable_key)
        mine = mine.sort_values(["_featured", "_key"], ascending=[False, True], kind="stable")
        group_sizes = None
        if group_of is not None:
            group_sizes = group_of.reindex(mine["participant_id"].unique()).value_counts()
        taken, seen_people, seen_text = 0, set(), set()
        for _, r in mine.iterrows():
            if taken >= per_theme:
                break
            text = without_contact_sentences(redact(r["text"], terms=roster))
            if not text or r["participant_id"] in seen_people or text.lower() in seen_text:
                continue
            if len(text) > max_chars:
                text = text[:max_chars].rsplit(" ", 1)[0] + " \u2026"
            who = f"a participant, {r['wave']} survey"
            if group_of is not None:
                g = group_of.get(r["participant_id"])
                if isinstance(g, str) and group_sizes.get(g, 0) >= k:
                    who += f" ({attribute_by.replace('_', ' ')}: {g})"
            rows.append({"theme": theme, "quote": text, "attribution": who, "featured": bool(r["_featured"])})
            taken += 1
            seen_people.add(r["participant_id"])
            seen_text.add(text.lower())
    return pd.DataFrame(rows, columns=columns)


def success_stories(data, partnership_id: str | None = None) -> pd.DataFrame:
    """The partnership's success stories: those told with consent, scrubbed; the others counted only.

    Method: stories are ordered by date (undated last), then title. A story with
    ``consent`` false keeps no title, text or teller (``shown`` is False): it is
    counted, never shown. Shown stories pass :func:`redact` with the roster.
    Escape them for Markdown when displaying (:func:`evalkit.narrate.md_escape`).

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, date, title, text, told_by, shown``.

    Examples
    --------
    >>> import evalkit
    >>> s = success_stories(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> bool(s.loc[~s["shown"], "text"].isna().all())
    True
    """
    _known(data, partnership_id, data.stories)
    s = data.stories
    if partnership_id is not None:
        s = s[s["partnership_id"] == partnership_id]
    s = s.sort_values(["date", "title"], na_position="last", kind="stable").reset_index(drop=True)
    roster = _Roster.build(*roster_terms(data))
    shown = s["consent"].astype(bool)
    out = pd.DataFrame({"partnership_id": s["partnership_id"], "date": s["date"]})
    for col in ("title", "text", "told_by"):
        out[col] = [redact(v, terms=roster) if ok and isinstance(v, str) else None for v, ok in zip(s[col], shown)]
    out["shown"] = shown.to_numpy()
    return out
