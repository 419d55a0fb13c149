"""The official SDKs' own stream accumulators through the gateway, on recorded agent traffic.

`client.chat.completions.stream(...).get_final_completion()`,
`client.responses.stream(...).get_final_response()` and
`client.messages.stream(...).get_final_message()` are run against the gateway, whose providers
`up` (OpenAI-compatible) and `upa` (Anthropic) point at replay_upstream.py: each request's
model names the exchange of Tests/BifrostHTTPTests/Conformance/ the upstream replays. What the
accumulator builds must equal the upstream's own non-streamed answer to the same request (same
protocol) or the exchange's `expect_client` (across protocols). Imported by test_sdks.py.
"""

import json
import os

import anthropic
import openai

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Conformance")


def exchange(name):
    with open(os.path.join(CORPUS, name + ".json"), encoding="utf-8") as file:
        return json.load(file)


def contains(actual, expected, path="$"):
    """Raises AssertionError naming the first place `actual` lacks what `expected` holds."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), "%s: got %r, expected an object" % (path, actual)
        for key, value in expected.items():
            assert key in actual, "%s.%s missing in %r" % (path, key, actual)
            contains(actual[key], value, "%s.%s" % (path, key))
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), "%s: got %r, expected %r" % (
            path,
            actual,
            expected,
        )
        for index, value in enumerate(expected):
            contains(actual[index], value, "%s[%d]" % (path, index))
    else:
        assert actual == expected, "%s: got %r, expected %r" % (path, actual, expected)


def request_arguments(name, keep=()):
    arguments = dict(exchange(name)["request"])
    for gateway_field in ("model", "stream", "stream_options"):
        if gateway_field not in keep:
            arguments.pop(gateway_field, None)
    return arguments


def openai_final(oai, provider, name):
    arguments = request_arguments(name, keep=("stream_options",))
    messages = arguments.pop("messages")
    extra_body = {
        key: arguments.pop(key)
        for key in list(arguments)
        if key not in ("tools", "tool_choice", "max_tokens", "stream_options")
    }
    with oai.chat.completions.stream(
        model="%s/%s" % (provider, name), messages=messages, extra_body=extra_body or None, **arguments
    ) as stream:
        return stream.get_final_completion().model_dump(exclude_none=True)


def anthropic_final(claude, provider, name):
    arguments = request_arguments(name)
    with claude.messages.stream(model="%s/%s" % (provider, name), **arguments) as stream:
        return stream.get_final_message().model_dump(exclude_none=True)


def same_protocol_openai(oai, name, fields):
    final = openai_final(oai, "up", name)
    twin = exchange(name[: -len("-streamed")])["upstream_response"]
    message, expected = final["choices"][0]["message"], twin["choices"][0]["message"]
    for field in fields:
        contains(message.get(field), expected.get(field), "message." + field)
    assert final["choices"][0]["finish_reason"] == twin["choices"][0]["finish_reason"]
    return final


def same_protocol_anthropic(claude, name):
    final = anthropic_final(claude, "upa", name)
    twin = exchange(name[: -len("-streamed")])["upstream_response"]
    contains(final["content"], twin["content"], "content")
    assert final["stop_reason"] == twin["stop_reason"]
    assert final["usage"]["output_tokens"] == twin["usage"]["output_tokens"]
    return final


def responses_final(oai, provider, name):
    arguments = request_arguments(name)
    with oai.responses.stream(model="%s/%s" % (provider, name), **arguments) as stream:
        return stream.get_final_response().model_dump(exclude_none=True)


def same_protocol_responses(oai, name):
    final = responses_final(oai, "up", name)
    twin = exchange(name[: -len("-streamed")])["upstream_response"]
    contains(final["output"], twin["output"], "output")
    contains(final["usage"], twin["usage"], "usage")
    return final


def tests(oai, claude):
    """The test functions, by name, for test_sdks.py's runner."""

    def test_accumulate_openai_tool_calls_stream():
        final = same_protocol_openai(oai, "openai-openai-tools-streamed", ["tool_calls", "content"])
        assert final["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]

    def test_accumulate_openai_parallel_tool_calls_stream():
        final = same_protocol_openai(oai, "openai-openai-parallel-tools-streamed", ["tool_calls"])
        assert len(final["choices"][0]["message"]["tool_calls"]) == 2

    def test_accumulate_openai_refusal_stream():
        final = same_protocol_openai(oai, "openai-openai-refusal-streamed", ["refusal"])
        assert final["choices"][0]["message"]["refusal"]

    def test_accumulate_anthropic_thinking_stream():
        final = same_protocol_anthropic(claude, "anthropic-anthropic-thinking-streamed")
        thinking = [block for block in final["content"] if block["type"] == "thinking"]
        assert thinking and thinking[0]["signature"], "the signature the next turn needs arrived"

    def test_accumulate_anthropic_tool_use_stream():
        final = same_protocol_anthropic(claude, "anthropic-anthropic-tools-streamed")
        assert any(block["type"] == "tool_use" and block["input"] for block in final["content"])

    def test_accumulate_anthropic_parallel_tool_use_stream():
        same_protocol_anthropic(claude, "anthropic-anthropic-parallel-tools-streamed")

    def test_accumulate_anthropic_prompt_caching_stream():
        final = same_protocol_anthropic(claude, "anthropic-anthropic-prompt-caching-streamed")
        twin = exchange("anthropic-anthropic-prompt-caching")["upstream_response"]
        assert final["usage"]["cache_read_input_tokens"] == twin["usage"]["cache_read_input_tokens"]

    def test_accumulate_openai_client_anthropic_tools_stream():
        name = "openai-anthropic-tools-streamed"
        contains(openai_final(oai, "upa", name), exchange(name)["expect_client"])

    def test_accumulate_openai_client_anthropic_thinking_stream():
        name = "openai-anthropic-thinking-streamed"
        contains(openai_final(oai, "upa", name), exchange(name)["expect_client"])

    def test_accumulate_anthropic_client_openai_tools_stream():
        name = "anthropic-openai-tools-streamed"
        contains(anthropic_final(claude, "up", name), exchange(name)["expect_client"])

    def test_responses_create_function_call():
        name = "responses-openai-tools"
        response = oai.responses.create(model="up/" + name, **request_arguments(name)).model_dump(exclude_none=True)
        contains(response["output"], exchange(name)["upstream_response"]["output"], "output")

    def test_accumulate_responses_function_call_stream():
        final = same_protocol_responses(oai, "responses-openai-tools-streamed")
        assert final["output"][0]["type"] == "function_call"
        assert json.loads(final["output"][0]["arguments"]) == {"location": "Boston, MA", "unit": "celsius"}

    def test_accumulate_responses_reasoning_stream():
        final = same_protocol_responses(oai, "responses-openai-reasoning-streamed")
        assert final["output"][0]["encrypted_content"], "the reasoning the next turn needs arrived"
        assert final["usage"]["output_tokens_details"]["reasoning_tokens"] == 64

    def test_accumulate_responses_client_anthropic_stream():
        name = "responses-anthropic-thinking-tools-streamed"
        contains(responses_final(oai, "upa", name), exchange(name)["expect_client"])

    return {name: function for name, function in locals().items() if name.startswith("test_")}
