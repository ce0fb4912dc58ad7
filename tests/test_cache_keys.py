"""Cache keys computed before the client was split and its options moved: an answer cached
by an earlier version must keep hitting. Each key below was printed by the code as it was
before that change; a change to what enters a key shows up here first."""

from __future__ import annotations

from datetime import date

from summarize.articles import article_from_text
from summarize.client import ModelClient
from summarize.modelconfig import ModelConfig
from summarize.options import BriefOptions
from summarize.pipeline import article_key
from summarize.prompts import load_prompt
from summarize.schema import Extraction
from tests.conftest import SEED_000

MESSAGES = [{"role": "system", "content": "brief it"}, {"role": "user", "content": "story"}]
LOCAL_SERVER = "http://127.0.0.1:8080/v1"


def key_of_messages(config: ModelConfig) -> str:
    client = ModelClient(config)
    try:
        return client.key_for(MESSAGES, Extraction)
    finally:
        client.close()


def test_a_request_keeps_the_key_it_had() -> None:
    assert key_of_messages(ModelConfig(model="m", base_url=LOCAL_SERVER)) == (
        "ce89753fe4696af9c4e605d2b9924dafd389b0fde880b0ae5492913995e908ec"
    )
    openai = ModelConfig(model="gpt-4o-mini", api_key="sk-x", max_tokens=700)
    assert key_of_messages(openai) == (
        "938dee639a5fa19657152a4b035e46921f23e4d968c995fafd40e1535a4ebf52"
    )


def test_an_article_keeps_the_key_it_had() -> None:
    text = SEED_000.read_text(encoding="utf-8")
    article = article_from_text(text, id="seed", source="seed.txt", published=date(2023, 8, 1))
    client = ModelClient(ModelConfig(model="m", base_url=LOCAL_SERVER))
    try:
        key = article_key(article, client, load_prompt(), BriefOptions())
    finally:
        client.close()
    assert key == "436fd4a665d286ae71b9ba09246698f9f3a96f5f5e8a7c3ff0de14bfc34d0503"


def test_a_split_article_keeps_the_key_of_its_first_chunk() -> None:
    paragraph = (
        "Paragraph {}. The minister said the army would strike if talks failed, "
        "officials said on Monday."
    )
    text = "\n\n".join(paragraph.format(i) for i in range(400))
    article = article_from_text(text, id="long", source="long.txt", published=date(2023, 8, 1))
    options = BriefOptions(max_input_tokens=1000, max_chunks=3)
    client = ModelClient(ModelConfig(model="m", base_url=LOCAL_SERVER))
    try:
        key = article_key(article, client, load_prompt(), options)
    finally:
        client.close()
    assert key == "992df886802de8453fb25850e98e5a0e4f827f8794a556aea0aa52fa5cedaec7"
