"""A quote is what a participant said, not the placeholders of their contact details (trial 11 F13).

Riverside's featured mentoring quote read "My mentor changed everything for us. I am [id]: email me at [email]
or call [phone] if you want to hear more.": redaction worked, but half the quote was placeholders. A sentence
that held contact details (an email, phone, address, web address, id or handle) is now left out of the quote,
marked "[…]"; a comment with nothing else is not quoted.
"""
from __future__ import annotations

import pandas as pd

from evalkit.voices import quotes, without_contact_sentences


def test_a_sentence_of_contact_details_is_left_out_and_marked():
    text = "My mentor changed everything for us. I am [id]: email me at [email] or call [phone] if you want to hear more."
    assert without_contact_sentences(text) == "My mentor changed everything for us. [\u2026]"
    assert without_contact_sentences("Call [phone]! Great tutors. Write to [email].") == "[\u2026] Great tutors. [\u2026]"
    assert without_contact_sentences("Email me at [email].") == ""
    # a name is replaced where it stands: the sentence still says something
    assert without_contact_sentences("My tutor [name] was wonderful.") == "My tutor [name] was wonderful."


def test_riverside_quotes_what_the_participant_said(sample_data):
    q = quotes(sample_data, "riverside-literacy")
    mentoring = q.loc[q["theme"] == "mentoring", "quote"].tolist()
    assert mentoring[0] == "My mentor changed everything for us. [\u2026]"   # the analyst's pick, still first
    assert not q["quote"].str.contains(r"\[(?:email|phone|id|link|address|handle)\]").any()


def test_a_comment_of_contact_details_only_is_not_quoted(sample_data):
    import dataclasses

    c = sample_data.comments
    extra = c[c["partnership_id"] == "riverside-literacy"].head(1).assign(
        text="Mentors: email me at sam@example.org", theme="mentoring", featured=True)
    data = dataclasses.replace(sample_data, comments=pd.concat([extra, c], ignore_index=True))
    q = quotes(data, "riverside-literacy")
    assert not q["quote"].str.contains("Mentors:").any()
    assert len(q[q["theme"] == "mentoring"]) == 3
