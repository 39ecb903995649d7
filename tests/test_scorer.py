"""Unit tests for the scorer: the promises every question in the bank makes."""

from __future__ import annotations

import json
import math

import pytest

from scoring.feedback import Feedback
from scoring.models import Concept, Item, Question, Rubric
from scoring.scorer import Scorer, Weights, analyse, tfidf_rows
from scoring.suggest import candidate_phrases, suggest_points
from scoring.text import clean, word_count
from tests.scoring_support import UNRELATED_ANSWER, bank, scorer

ITEMS = sorted(bank().items.values(), key=lambda item: item.id)
IDS = [item.id for item in ITEMS]


def test_bank_has_the_seed_questions_and_at_least_fifteen():
    assert not bank().errors, [str(e) for e in bank().errors]
    assert len(ITEMS) >= 15
    for seed in ("ij-critical-minerals", "ij-ai-dialogue", "ij-economic-security"):
        assert seed in bank()
    assert {item.question.marks for item in ITEMS} >= {10, 15}
    assert len({item.question.directive for item in ITEMS}) >= 6


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_model_answer_is_within_its_word_limit(item: Item):
    words = word_count(item.question.model_answer)
    assert 0.6 * item.question.word_limit <= words <= item.question.word_limit


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_model_answer_scores_at_least_80_percent(item: Item):
    feedback = scorer().score(item, item.question.model_answer)
    assert feedback.marks >= 0.8 * feedback.max_marks, [
        (p.id, p.status) for p in feedback.points if p.status != "covered"]


@pytest.mark.parametrize("answer", ["", "   \n\t  ", "\x00\x00"])
def test_empty_answer_scores_zero_with_a_clear_message(answer: str):
    feedback = scorer().score(ITEMS[0], answer)
    assert feedback.marks == 0
    assert "empty" in feedback.flag_codes()
    assert "empty" in feedback.message.lower()
    assert all(p.status == "missed" for p in feedback.points)


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_good_answers_to_other_questions_score_at_most_25_percent(item: Item):
    for other in ITEMS:
        if other is item:
            continue
        feedback = scorer().score(item, other.question.model_answer)
        assert feedback.marks <= 0.25 * feedback.max_marks, (other.id, feedback.marks)


def test_an_answer_to_another_bank_question_is_told_which_question_by_its_words():
    named = []
    for item in ITEMS:
        for other in ITEMS:
            if other is item:
                continue
            message = scorer().score(item, other.question.model_answer).message
            if "another question in the bank" in message:
                assert " ".join(other.question.text.split())[:40] in message, message
                assert other.id not in message  # a file id means nothing to an aspirant
                named.append(other.id)
    assert named  # the seed questions are close enough that some answers are recognised


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_unrelated_answer_scores_at_most_25_percent_and_is_flagged(item: Item):
    feedback = scorer().score(item, UNRELATED_ANSWER)
    assert feedback.marks <= 0.25 * feedback.max_marks
    assert "off_topic" in feedback.flag_codes()


#: On the question's topic, in its words, but none of the rubric's specifics (HHI and PCI, sector
#: projects, the JWG, trade barriers…): a general answer, not an off-topic one.
GENERAL_SUPPLY_CHAIN_ANSWER = """India and Japan see supply chain resilience as a shared strategic goal after the pandemic.

Firstly, the Supply Chain Resilience Initiative launched with Australia in 2021 aims to diversify production.

Secondly, Japanese investment in industrial corridors builds the logistics base that manufacturing needs.

However, progress is uneven. Much of the agenda is still at the level of declarations.

In conclusion, the approach is sound in design but limited in delivery. The way forward is to set measurable targets."""


def test_a_general_answer_on_the_topic_is_told_what_it_lacks_not_that_it_is_off_topic():
    feedback = scorer().score(bank()["ij-supply-chain-resilience"], GENERAL_SUPPLY_CHAIN_ANSWER)
    assert feedback.marks <= 0.25 * feedback.max_marks
    message = next(f.message for f in feedback.flags if f.code == "off_topic")
    covered = sum(p.status == "covered" for p in feedback.points)
    assert f"({covered} of {len(feedback.points)} rubric points covered)" in message
    assert "stays general or drifts from the question" in message and "says little about" not in message
    # an answer on another subject altogether is still told so
    unrelated = scorer().score(bank()["ij-supply-chain-resilience"], UNRELATED_ANSWER)
    assert "says little about what this question asks" in unrelated.message


def _keywords(item: Item) -> list[str]:
    concepts = bank().concepts
    words = [e for p in item.rubric.points for e in p.evidence]
    words += [concepts[c].name for p in item.rubric.points for c in p.concepts]
    return words


@pytest.mark.parametrize("separator", [", ", "\n", "; ", " "])
@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_a_bare_keyword_list_scores_at_most_30_percent(item: Item, separator: str):
    feedback = scorer().score(item, separator.join(_keywords(item)))
    assert feedback.marks <= 0.3 * feedback.max_marks


def test_keyword_list_is_flagged():
    item = bank()["ij-critical-minerals"]
    feedback = scorer().score(item, ", ".join(_keywords(item)))
    assert {"keyword_list"} <= feedback.flag_codes()


def test_covered_point_carries_its_sentence_span_and_terms():
    item = bank()["ij-critical-minerals"]
    answer = ("Critical minerals matter for India.\n\nThe JWG on Critical Minerals, set up by the Ministry of "
              "Mines and METI, aims to diversify sourcing and promote joint exploration.")
    feedback = scorer().score(item, answer)
    jwg = next(p for p in feedback.points if p.id == "jwg")
    assert jwg.status == "covered"
    start, end = jwg.span
    assert answer[start:end] == jwg.evidence
    assert jwg.evidence.startswith("The JWG on Critical Minerals")
    assert "JWG" in jwg.matched_terms or "Joint Working Group on Critical Minerals" in jwg.matched_terms


def test_typos_and_hyphen_variants_still_match():
    item = bank()["ij-foip-indo-pacific"]
    foip_points = [p for p in item.rubric.points if "foip" in p.concepts]
    assert foip_points, "the FOIP question should have a point using the foip concept"
    typo = "Japan's free and open Indo-Pacfic vision links with India's Act East policy in the region."
    feedback = scorer().score(item, typo)
    result = next(p for p in feedback.points if p.id == foip_points[0].id)
    assert result.status != "missed"


def test_acronym_and_expansion_are_the_same_concept():
    item = bank()["ij-critical-minerals"]
    short = scorer().score(item, "India and Japan set up the JWG to diversify sourcing of rare earths.")
    long = scorer().score(item, "India and Japan set up the Joint Working Group on Critical Minerals to diversify sourcing of rare earths.")
    status = {p.id: p.status for p in short.points}["jwg"], {p.id: p.status for p in long.points}["jwg"]
    assert status[0] == status[1] != "missed"


def test_marks_are_in_half_marks_and_within_bounds():
    for item in ITEMS[:5]:
        for answer in (item.question.model_answer, item.question.model_answer[:300], UNRELATED_ANSWER):
            feedback = scorer().score(item, answer)
            assert 0 <= feedback.marks <= feedback.max_marks
            assert (feedback.marks * 2).is_integer()


def test_feedback_round_trips_through_json():
    item = ITEMS[0]
    feedback = scorer().score(item, item.question.model_answer)
    again = Feedback.model_validate_json(feedback.model_dump_json())
    assert again == feedback
    data = json.loads(feedback.model_dump_json())
    assert {"marks", "max_marks", "points", "components", "suggestions", "flags"} <= data.keys()


def test_suggestions_come_from_missed_points_hints():
    item = bank()["ij-critical-minerals"]
    feedback = scorer().score(item, item.question.model_answer.split("\n\n")[0])
    missed = [p for p in feedback.points if p.status == "missed"]
    assert missed
    for point in missed:
        assert any(point.hint in s for s in feedback.suggestions)


def test_over_length_and_too_long_answers():
    item = bank()["ij-critical-minerals"]
    doubled = item.question.model_answer + "\n\n" + item.question.model_answer
    assert "over_length" in scorer().score(item, doubled).flag_codes()
    huge = scorer().score(item, "Japan invests in India. " * 25_000)
    assert huge.marks == 0 and "too_long_to_score" in huge.flag_codes()
    assert "not scored" in huge.message and "kept" in huge.message


def test_words_past_one_and_a_half_times_the_limit_are_not_marked_and_late_points_are_named():
    item = bank()["ij-critical-minerals"]
    point = next(p for p in item.rubric.points if p.evidence)
    covering = f"A key dimension is {point.evidence[0]}, which matters for India and Japan. "
    filler = "Cooperation between the two countries has grown steadily over the past decade. " * 35  # 420 words
    early, late = scorer().score(item, covering + filler), scorer().score(item, filler + covering)

    assert {p.id: p.status for p in early.points}[point.id] != "missed"
    assert {p.id: p.status for p in late.points}[point.id] == "missed"
    assert late.marks <= early.marks
    assert late.length is not None and late.length.marked_words == 375  # 1.5 × 250
    assert word_count((filler + covering)[:late.length.marked_until]) == 375
    message = next(f.message for f in late.flags if f.code == "not_marked")
    assert "Only the first 375 words were marked" in message and point.label in message
    assert late.suggestions[0].startswith(f"Move up: {point.label}. Your answer makes this point only after word 375")
    assert not any(s.startswith(f"Add: {point.label}") for s in late.suggestions)  # made, only too late
    assert {p.id: p.after_marking for p in late.points} == {p.id: p.id == point.id for p in late.points}
    # an answer within the marked length is marked whole and says nothing of it
    whole = scorer().score(item, item.question.model_answer)
    assert whole.length is not None and whole.length.marked_words is None
    assert "not_marked" not in whole.flag_codes() and whole.marked_text("abc") == "abc"


def test_the_end_of_marking_message_counts_words_plainly_and_names_a_late_conclusion():
    item = bank()["ij-critical-minerals"]
    filler = "Cooperation between the two countries has grown steadily over the past decade. " * 31  # 372 words
    one_over = scorer().score(item, filler + "India and Japan cooperate.")  # 376 words
    message = next(f.message for f in one_over.flags if f.code == "not_marked")
    assert "the last 1 word of this one earned nothing" in message and "1.5 times" not in message
    assert one_over.length is not None and one_over.length.marked_words == 375
    # the full stop after word 375 goes with the marked words, not with the unmarked ones
    ends = filler + "India and Japan. Thus, cooperation matters."
    cut = scorer().score(item, ends).length
    assert cut is not None and ends[:cut.marked_until].endswith("India and Japan.")
    concluded = scorer().score(item, filler + "India and Japan work together.\n\nThus, in conclusion, the "
                                               "partnership must deepen.")
    assert concluded.structure is not None and not concluded.structure.conclusion
    assert any(n.startswith("Your conclusion came after word 375, where marking stopped") for n in
               concluded.structure.notes)
    assert not any(n.startswith("End with a concluding paragraph") for n in concluded.suggestions)


def test_evidence_cut_at_the_end_of_marking_is_quoted_with_an_ellipsis():
    item = bank()["ij-critical-minerals"]
    point = next(p for p in item.rubric.points if p.evidence)
    filler = "Cooperation between the two countries has grown steadily over the past decade. " * 29  # 348 words
    runs_on = (f"{point.evidence[0]} matters because the partnership among the two democracies keeps growing "
               "year after year, through summits, dialogues, joint exercises, investment funds, trade missions "
               "and the exchange of students, scientists and engineers between them.")  # past word 375
    feedback = scorer().score(item, filler + runs_on)
    result = next(p for p in feedback.points if p.id == point.id)
    assert result.status != "missed" and result.evidence is not None
    assert feedback.length is not None and result.span is not None and result.span[1] == feedback.length.marked_until
    assert feedback.evidence_quote(result) == result.evidence + "…"
    assert runs_on.startswith(result.evidence)  # the sentence as far as marking went
    # a sentence that ends before the cut is quoted as it is
    whole = scorer().score(item, runs_on)
    quoted = next(p for p in whole.points if p.id == point.id)
    assert whole.evidence_quote(quoted) == quoted.evidence and quoted.evidence.endswith(".")


def test_an_answer_in_another_script_is_not_marked_and_says_why():
    item = bank()["ij-critical-minerals"]
    hindi = ("भारत और जापान ने महत्वपूर्ण खनिजों पर संयुक्त कार्य समूह बनाया है। "
             "यह आपूर्ति श्रृंखला को सुरक्षित करता है और आर्थिक सुरक्षा बढ़ाता है।")
    feedback = scorer().score(item, hindi)
    assert feedback.marks == 0 and feedback.flag_codes() == {"not_english"}
    assert "reads English only" in feedback.message and "kept" in feedback.message
    # English with a few words in another script is read as usual
    mixed = item.question.model_answer + "\n\n(महत्वपूर्ण खनिज: critical minerals)"
    assert "not_english" not in scorer().score(item, mixed).flag_codes()
    assert scorer().score(item, mixed).marks > 0


def test_question_copied_back_scores_zero():
    item = bank()["ij-ai-dialogue"]
    feedback = scorer().score(item, item.question.text)
    assert feedback.marks == 0 and "copied_question" in feedback.flag_codes()


def test_directive_needs_both_sides_for_discuss():
    item = bank()["ij-ai-dialogue"]
    one_sided = "The AI Dialogue helps India. It boosts research and strengthens trustworthy AI norms."
    feedback = scorer().score(item, one_sided)
    assert feedback.directive is not None and not feedback.directive.fits
    assert "arguments against" in feedback.directive.missing


def test_scoring_is_deterministic():
    item = ITEMS[3]
    answer = item.question.model_answer[: len(item.question.model_answer) // 2]
    assert scorer().score(item, answer) == scorer().score(item, answer)
    assert Scorer().fit(bank()).score(item, answer) == scorer().score(item, answer)


def test_fast_tfidf_rows_equal_scikit_learn_transform():
    vectorizer = scorer().vectorizer_
    texts = [item.question.model_answer for item in ITEMS[:4]] + ["", "supply chains supply chains"]
    ours = tfidf_rows(vectorizer, (analyse(t) for t in texts)).toarray()
    theirs = vectorizer.transform(texts).toarray()
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_unseen_item_is_scored_without_refitting():
    question = Question(id="new-q", paper="GS2", topic="t", marks=10, directive="explain",
                        text="Explain the JWG.", model_answer="The JWG on critical minerals diversifies sourcing.")
    rubric = Rubric(question_id="new-q", points=[{"id": "jwg", "label": "JWG", "concepts": ["jwg"],
                                                   "evidence": ["diversify sourcing"]}])
    fitted = Scorer().fit(bank())
    vocabulary = dict(fitted.vectorizer_.vocabulary_)
    feedback = fitted.score(Item(question=question, rubric=rubric), "The JWG helps India diversify sourcing.")
    assert fitted.vectorizer_.vocabulary_ == vocabulary
    assert feedback.points[0].status == "covered"


def test_weights_must_add_up_to_one():
    with pytest.raises(ValueError, match="add up to 1"):
        Weights(content=0.9)


def test_concepts_need_not_be_in_the_bank_for_a_standalone_scorer():
    question = Question(id="q", paper="GS2", topic="t", marks=10, directive="comment", text="Comment on FOIP.",
                        model_answer="FOIP is Japan's vision for a free and open Indo-Pacific region.")
    rubric = Rubric(question_id="q", points=[{"id": "foip", "label": "FOIP", "concepts": ["foip"]}])
    item = Item(question=question, rubric=rubric)
    concepts = {"foip": Concept(id="foip", name="Free and Open Indo-Pacific", aliases=("FOIP",))}
    feedback = Scorer().fit([item], concepts).score(item, "Japan's Free and Open Indo-Pacific vision shapes the region.")
    assert feedback.points[0].status == "covered"


def test_the_evidence_quoted_is_the_sentence_that_makes_the_point_not_one_naming_its_concept_twice():
    """"Act East policies" matched two of the concept's names ("Act East", "Act East Policy"), which had counted
    as two mentions and outweighed the bullet with all three of the point's own phrases."""
    question = Question(id="q", paper="GS2", topic="t", marks=10, directive="examine",
                        text="Examine BIMSTEC's role in India's Act East policy.",
                        model_answer="BIMSTEC is a bridge between South and Southeast Asia without Pakistan.")
    rubric = Rubric(question_id="q", points=[{
        "id": "bridge", "label": "Bridge between South and Southeast Asia", "concepts": ["act-east"],
        "evidence": ["bridge between South and Southeast Asia", "without Pakistan", "SAARC"]}])
    item = Item(question=question, rubric=rubric)
    concepts = {"act-east": Concept(id="act-east", name="Act East Policy",
                                    aliases=("Act East", "Act East policy of India", "Look East to Act East"))}
    bullet = ("It acts as a bridge between South and Southeast Asia and works without Pakistan, so it avoids "
              "the deadlock seen in SAARC.")
    answer = ("BIMSTEC was formed in 1997 and got its charter in 2022. For India it joins the Neighbourhood First "
              f"and Act East policies.\n\nRole\n- {bullet}\n- Cooperation on the blue economy in the Bay of Bengal.")
    point = Scorer().fit([item], concepts).score(item, answer).points[0]
    assert point.status == "covered" and point.evidence == f"- {bullet}", point.evidence


ODD_ANSWERS = {
    "single word": "Japan",
    "control characters and NUL": "The JWG\x00 on critical\x07 minerals\x1b[31m helps India\x0c diversify sourcing.",
    "Devanagari": "भारत और जापान ने महत्वपूर्ण खनिजों पर संयुक्त कार्य समूह बनाया है।",
    "right-to-left": "\u202eThe JWG helps India diversify sourcing.\u202c مرحبا بالعالم",
    "emoji": "🇮🇳🤝🇯🇵 The JWG on critical minerals 💎 helps diversify sourcing 🚀🚀🚀.",
    "lone surrogate": "The JWG \ud800 helps diversify sourcing.",
    "markup": "<img src=x onerror=alert(1)> <script>alert(1)</script> [link](http://x) ![i](http://x/i.png)",
}


@pytest.mark.parametrize("case", ODD_ANSWERS, ids=list(ODD_ANSWERS))
def test_odd_answers_are_scored_with_marks_in_bounds(case):
    item = bank()["ij-critical-minerals"]
    answer = ODD_ANSWERS[case]
    feedback = scorer().score(item, answer)
    assert 0 <= feedback.marks <= 0.25 * feedback.max_marks
    assert feedback.length is not None and feedback.length.words >= 1
    for point in feedback.points:
        if point.span:  # spans index the answer as written; control characters show as spaces
            assert clean(answer)[point.span[0]:point.span[1]] == point.evidence
    Feedback.model_validate_json(feedback.model_dump_json())


def test_single_word_answer_is_flagged_short():
    feedback = scorer().score(bank()["ij-critical-minerals"], "Japan")
    assert "under_length" in feedback.flag_codes()


def test_control_characters_do_not_hide_evidence():
    feedback = scorer().score(bank()["ij-critical-minerals"], ODD_ANSWERS["control characters and NUL"])
    jwg = next(p for p in feedback.points if p.id == "jwg")
    assert jwg.status != "missed"
    start, end = jwg.span
    answer = ODD_ANSWERS["control characters and NUL"]
    assert clean(answer)[start:end] == jwg.evidence == answer[start:end].translate({c: " " for c in (0, 7, 12, 27)})


def test_a_possessive_ends_a_key_phrase_rather_than_leaving_a_stray_s():
    assert candidate_phrases("the other end of the tRNA’s amino acids") == ["other end", "trna", "amino acids"]
    assert candidate_phrases("Japan's chip subsidies") == ["japan", "chip subsidies"]
    assert "s" not in " ".join(candidate_phrases("India’s semiconductor mission")).split()


def test_a_number_with_a_decimal_point_or_thousands_comma_stays_whole_in_a_key_phrase():
    assert candidate_phrases("Japan pledged $67.9 billion for a 1,200 km freight corridor.") == [
        "japan pledged 67.9 billion", "1,200 km freight corridor"]
    assert candidate_phrases("It rose to 5. Then, 2022 came.") == ["rose", "5", "2022 came"]  # a full stop still ends
    # and so the suggested evidence keeps the number whole
    point = suggest_points("Japan pledged $67.9 billion of investment in India.")[0]
    assert any("67.9 billion" in e for e in point.evidence), point.evidence


#: A dense bulleted answer, as aspirants write under time: its lines have few function words but a
#: possessive, and a phone or word processor types the apostrophe as "’".
DENSE_BULLETS = """Critical minerals power EVs, semiconductors and defence, and one country controls about 90% of rare-earth processing.

How cooperation with Japan helps:
- Toyota Tsusho’s rare-earth plant in Andhra Pradesh shows Japanese technology adding value inside India.
- Japan’s 10 trillion yen investment target brings patient capital.

Thus, India–Japan cooperation can build resilient supply chains."""


def test_a_dense_bullet_with_a_typographic_possessive_earns_its_point():
    """"Tsusho’s" once stemmed to "tsusho’" (no match for "Toyota Tsusho"), and a line with one function word
    in fifteen was taken for a keyword list, so the Toyota Tsusho point was missed although it was made."""
    item = bank()["ij-critical-minerals"]
    curly = scorer().score(item, DENSE_BULLETS)
    straight = scorer().score(item, DENSE_BULLETS.replace("’", "'"))
    for feedback in (curly, straight):
        points = {p.id: p for p in feedback.points}
        assert points["toyota-tsusho"].status == "covered", points["toyota-tsusho"]
        assert "Andhra Pradesh" in points["toyota-tsusho"].evidence
        assert points["investment-pledge"].status != "missed"
    assert [p.status for p in curly.points] == [p.status for p in straight.points]
    assert "keyword_list" not in curly.flag_codes()


def test_the_directive_and_length_advice_read_as_sentences():
    """"The directive 'discuss' asks for arguments for: Argue both…" and "54 words uses under 60%…" read badly."""
    item = bank()["ij-ai-dialogue"]
    assert item.question.directive == "discuss"
    feedback = scorer().score(item, "However, India still depends on foreign chips, and Japanese firms worry about "
                                    "technology protection. The risks are real and the concerns are serious.")
    assert "Add arguments for and a view: 'discuss' asks you to argue both for and against, then reach a view." \
        in feedback.suggestions, feedback.suggestions
    short = next(f.message for f in feedback.flags if f.code == "under_length")
    assert short == "At 23 words, the answer uses under 60% of the 250-word limit. Develop more points."


def test_a_short_answer_that_names_every_point_is_capped_for_its_length():
    """136 words naming the points of a 250-word question had scored 14/15; now at most 15 × 136 / 200."""
    item = bank()["ij-ai-dialogue"]
    model = item.question.model_answer
    whole = scorer().score(item, model)
    assert "short_capped" not in whole.flag_codes() and whole.marks == 15  # within the limit: not capped
    lines = [line for line in model.split("\n") if line.strip()]
    short = "\n\n".join(lines[:4])
    words = word_count(short)
    assert words < 200
    feedback = scorer().score(item, short)
    cap = math.floor(15 * words / 200 * 2) / 2
    assert feedback.marks == cap, (words, feedback.marks)
    assert feedback.message == (f"Marks capped at {cap:g} of 15: at {words} words, under 80% of the 250-word "
                                "limit, the points cannot be developed as examiners expect (3–4 lines each, "
                                "with a fact or an example).")
