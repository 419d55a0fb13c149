"""The gateway as the official `openai` and `anthropic` Python packages see it.

Run by scripts/python-sdk-tests against `bifrost serve` with the built-in mock provider:

    BIFROST_URL=http://127.0.0.1:8080 .build/python-venv/bin/python Tests/BifrostHTTPTests/Python/test_sdks.py

Each `test_*` function is one test (plain asserts); with BIFROST_REPLAY set (the gateway's
providers `up` and `upa` point at replay_upstream.py), test_accumulators.py's tests run too. The last line printed is
`N passed, M failed`; the exit status is 1 if any test failed.
"""

import base64
import os
import signal
import struct
import sys
import time
import traceback

import anthropic
import openai

BASE_URL = os.environ.get("BIFROST_URL", "http://127.0.0.1:8080")
TIMEOUT = 10.0  # seconds, for every SDK call
TEST_TIMEOUT = 30  # seconds, for every test

oai = openai.OpenAI(base_url=BASE_URL + "/v1", api_key="sk-python-sdk-test", timeout=TIMEOUT, max_retries=0)
claude = anthropic.Anthropic(
    base_url=BASE_URL + "/anthropic", api_key="sk-ant-python-sdk-test", timeout=TIMEOUT, max_retries=0
)

PROMPT = "Hello there"
ANSWER = "Echo: Hello there"
# The mock counts one token per four UTF-8 bytes (rounded up), plus three per message.
PROMPT_TOKENS = (len(PROMPT) + 3) // 4 + 3
COMPLETION_TOKENS = (len(ANSWER) + 3) // 4


def user(text=PROMPT):
    return [{"role": "user", "content": text}]


# MARK: openai


def test_openai_chat():
    completion = oai.chat.completions.create(model="mock/echo", messages=user())
    assert completion.object == "chat.completion"
    assert completion.model == "echo"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == PROMPT_TOKENS
    assert completion.usage.completion_tokens == COMPLETION_TOKENS
    assert completion.usage.total_tokens == PROMPT_TOKENS + COMPLETION_TOKENS


def test_openai_chat_headers():
    raw = oai.chat.completions.with_raw_response.create(
        model="mock/echo", messages=user(), extra_headers={"x-request-id": "py-sdk-1"}
    )
    assert raw.headers["x-request-id"] == "py-sdk-1"
    assert raw.headers["x-bifrost-provider"] == "mock"
    assert raw.parse().choices[0].message.content == ANSWER


def test_openai_stream():
    stream = oai.chat.completions.create(model="mock/echo", messages=user(), stream=True)
    pieces, finish, roles, chunks = [], None, [], 0
    for chunk in stream:
        chunks += 1
        assert chunk.object == "chat.completion.chunk"
        assert chunk.usage is None
        for choice in chunk.choices:
            if choice.delta.role:
                roles.append(choice.delta.role)
            if choice.delta.content:
                pieces.append(choice.delta.content)
            if choice.finish_reason:
                finish = choice.finish_reason
    assert "".join(pieces) == ANSWER
    assert len(pieces) == len(ANSWER.split(" ")), pieces
    assert roles == ["assistant"]
    assert finish == "stop"
    assert chunks >= 4


def test_openai_stream_include_usage():
    stream = oai.chat.completions.create(
        model="mock/echo", messages=user(), stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.prompt_tokens == PROMPT_TOKENS
    assert last.usage.completion_tokens == COMPLETION_TOKENS
    assert last.usage.total_tokens == PROMPT_TOKENS + COMPLETION_TOKENS
    assert all(c.usage is None for c in chunks[:-1])


def test_openai_stream_helper():
    # The SDK's higher-level streaming helper accumulates the answer.
    with oai.chat.completions.stream(
        model="mock/echo", messages=user(), stream_options={"include_usage": True}
    ) as stream:
        for _ in stream:
            pass
        completion = stream.get_final_completion()
    assert completion.choices[0].message.content == ANSWER
    assert completion.usage.total_tokens == PROMPT_TOKENS + COMPLETION_TOKENS


def test_openai_stream_unknown_model():
    try:
        oai.chat.completions.create(model="mock/gpt-9", messages=user(), stream=True)
    except openai.NotFoundError as error:
        assert error.status_code == 404
        assert "gpt-9" in str(error)
    else:
        raise AssertionError("expected openai.NotFoundError")


def test_openai_embeddings():
    response = oai.embeddings.create(model="mock/embed", input=["hello", "hello world"])
    assert response.object == "list"
    assert response.model == "embed"
    assert [item.index for item in response.data] == [0, 1]
    for item in response.data:
        assert len(item.embedding) == 8
        assert abs(sum(x * x for x in item.embedding) - 1.0) < 1e-6
    assert response.data[0].embedding != response.data[1].embedding
    assert response.usage.prompt_tokens == 5
    assert response.usage.total_tokens == 5


def test_openai_embeddings_base64():
    floats = oai.embeddings.create(model="mock/embed", input="abc", encoding_format="float")
    encoded = oai.embeddings.create(model="mock/embed", input="abc", encoding_format="base64")
    vector = encoded.data[0].embedding
    if isinstance(vector, str):
        raw = base64.b64decode(vector)
        vector = list(struct.unpack("<%df" % (len(raw) // 4), raw))
    assert len(vector) == 8
    for a, b in zip(vector, floats.data[0].embedding):
        assert abs(a - b) < 1e-6


def test_openai_embeddings_bad_input():
    try:
        oai.embeddings.create(model="mock/embed", input=[])
    except openai.BadRequestError as error:
        assert error.status_code == 400
        assert error.body["param"] == "input"
    else:
        raise AssertionError("expected openai.BadRequestError")


def test_openai_models():
    ids = [model.id for model in oai.models.list()]
    assert "mock/echo" in ids
    assert "mock/embed" in ids


def test_openai_not_found():
    try:
        oai.chat.completions.create(model="mock/gpt-9", messages=user())
    except openai.NotFoundError as error:
        assert error.status_code == 404
        assert error.code == "model_not_found"
    else:
        raise AssertionError("expected openai.NotFoundError")


def test_openai_bad_temperature():
    try:
        oai.chat.completions.create(model="mock/echo", messages=user(), temperature=7)
    except openai.BadRequestError as error:
        assert error.status_code == 400
        assert error.param == "temperature"
    else:
        raise AssertionError("expected openai.BadRequestError")


def test_openai_provider_failure():
    try:
        oai.chat.completions.create(model="mock/fail", messages=user())
    except openai.InternalServerError as error:
        assert error.status_code == 503
    else:
        raise AssertionError("expected openai.InternalServerError")


# MARK: openai responses


def test_openai_responses_create():
    response = oai.responses.create(model="mock/echo", input=PROMPT)
    assert response.object == "response"
    assert response.status == "completed"
    assert response.model == "echo"
    assert response.output_text == ANSWER
    assert response.output[0].type == "message"
    assert response.usage.input_tokens == PROMPT_TOKENS
    assert response.usage.output_tokens == COMPLETION_TOKENS
    assert response.usage.total_tokens == PROMPT_TOKENS + COMPLETION_TOKENS


def test_openai_responses_items_and_instructions():
    response = oai.responses.create(
        model="mock/echo",
        instructions="Be brief.",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Ping"}]}],
    )
    assert response.output_text == "Echo: Ping"


def test_openai_responses_stream():
    with oai.responses.stream(model="mock/echo", input=PROMPT) as stream:
        events = list(stream)
        final = stream.get_final_response()
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert "".join(deltas) == ANSWER
    assert len(deltas) >= 2
    numbers = [event.sequence_number for event in events]
    assert numbers == list(range(len(events))), "sequence numbers count up from 0"
    assert events[0].type == "response.created"
    assert events[-1].type == "response.completed"
    assert final.output_text == ANSWER
    assert final.usage.output_tokens == COMPLETION_TOKENS


def test_openai_responses_create_stream_events():
    kinds = [event.type for event in oai.responses.create(model="mock/echo", input=PROMPT, stream=True)]
    for kind in ("response.output_item.added", "response.content_part.added", "response.output_text.done"):
        assert kind in kinds, kind


def test_openai_responses_bad_request():
    try:
        oai.responses.create(model="mock/echo", input=PROMPT, max_output_tokens=0)
    except openai.BadRequestError as error:
        assert error.status_code == 400
        assert error.param == "max_output_tokens"
    else:
        raise AssertionError("expected openai.BadRequestError")


def test_openai_responses_state_on_mock():
    try:
        oai.responses.create(model="mock/echo", input=PROMPT, previous_response_id="resp_123")
    except openai.BadRequestError as error:
        assert error.param == "previous_response_id"
    else:
        raise AssertionError("expected openai.BadRequestError")


def test_openai_responses_not_found():
    try:
        with oai.responses.stream(model="mock/gpt-9", input=PROMPT) as stream:
            for _ in stream:
                pass
    except openai.NotFoundError as error:
        assert error.status_code == 404
    else:
        raise AssertionError("expected openai.NotFoundError")


def test_openai_responses_through_a_rewriting_plugin():
    raw = oai.responses.with_raw_response.create(model="fast", input=PROMPT)
    response = raw.parse()
    assert raw.headers.get("x-bifrost-model-alias") == "fast"
    assert raw.headers.get("x-bifrost-provider") == "mock"
    assert response.output_text == ANSWER
    with oai.responses.stream(model="fast", input=PROMPT) as stream:
        final = stream.get_final_response()
    assert final.output_text == ANSWER


def test_openai_responses_rejected_by_a_plugin():
    for streamed in (False, True):
        try:
            if streamed:
                with oai.responses.stream(model="mock/forbidden", input=PROMPT) as stream:
                    for _ in stream:
                        pass
            else:
                oai.responses.create(model="mock/forbidden", input=PROMPT)
        except openai.PermissionDeniedError as error:
            assert error.status_code == 403
            assert "closed by the gatekeeper plugin" in error.message
            assert error.type == "permission_error"
        else:
            raise AssertionError("expected openai.PermissionDeniedError")


# MARK: anthropic


def test_anthropic_messages_create():
    message = claude.messages.create(model="mock/echo", max_tokens=64, messages=user())
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.content[0].type == "text"
    assert message.content[0].text == ANSWER
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == PROMPT_TOKENS
    assert message.usage.output_tokens == COMPLETION_TOKENS


def test_anthropic_messages_system_prompt():
    message = claude.messages.create(
        model="mock/echo", max_tokens=64, system="Be brief.", messages=user("Ping")
    )
    assert message.content[0].text == "Echo: Ping"


def test_anthropic_messages_stream():
    with claude.messages.stream(model="mock/echo", max_tokens=64, messages=user()) as stream:
        pieces = [text for text in stream.text_stream]
        final = stream.get_final_message()
    assert "".join(pieces) == ANSWER
    assert len(pieces) >= 2
    assert final.content[0].text == ANSWER
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == COMPLETION_TOKENS
    assert final.usage.input_tokens == PROMPT_TOKENS


def test_anthropic_messages_create_stream_events():
    events = list(claude.messages.create(model="mock/echo", max_tokens=64, messages=user(), stream=True))
    kinds = [event.type for event in events]
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert "content_block_delta" in kinds
    assert "message_delta" in kinds


def test_anthropic_not_found():
    try:
        claude.messages.create(model="mock/claude-9", max_tokens=64, messages=user())
    except anthropic.NotFoundError as error:
        assert error.status_code == 404
    else:
        raise AssertionError("expected anthropic.NotFoundError")


def test_anthropic_bad_request():
    try:
        claude.messages.create(model="mock/echo", max_tokens=0, messages=user())
    except anthropic.BadRequestError as error:
        assert error.status_code == 400
        assert "max_tokens" in str(error)
    else:
        raise AssertionError("expected anthropic.BadRequestError")


def test_anthropic_stream_not_found():
    try:
        with claude.messages.stream(model="mock/claude-9", max_tokens=64, messages=user()) as stream:
            for _ in stream:
                pass
    except anthropic.NotFoundError as error:
        assert error.status_code == 404
    else:
        raise AssertionError("expected anthropic.NotFoundError")


# MARK: runner


class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout("test took longer than %d s" % TEST_TIMEOUT)


def main(argv):
    selected = argv[1:]
    candidates = dict(globals())
    if os.environ.get("BIFROST_REPLAY"):
        import test_accumulators

        candidates.update(test_accumulators.tests(oai, claude))
    tests = [
        (name, function)
        for name, function in candidates.items()
        if name.startswith("test_") and callable(function) and (not selected or any(s in name for s in selected))
    ]
    signal.signal(signal.SIGALRM, _alarm)
    passed, failed = 0, 0
    for name, function in tests:
        start = time.monotonic()
        signal.alarm(TEST_TIMEOUT)
        try:
            function()
        except Exception:  # noqa: BLE001 - every failure is reported the same way
            signal.alarm(0)
            failed += 1
            print("FAIL %s (%.2f s)" % (name, time.monotonic() - start))
            traceback.print_exc(file=sys.stdout)
        else:
            signal.alarm(0)
            passed += 1
            print("ok   %s (%.2f s)" % (name, time.monotonic() - start))
        sys.stdout.flush()
    print("openai %s, anthropic %s" % (openai.__version__, anthropic.__version__))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
