from trainyard_trainer.data import sft_pairs


def test_a_sharegpt_conversation_trains_exactly_like_the_same_openai_messages():
    openai = {"messages": [{"role": "system", "content": "be brief"},
                           {"role": "user", "content": "2+2?"},
                           {"role": "assistant", "content": "4"}], "_where": "a.jsonl:1"}
    sharegpt = {"conversations": [{"from": "system", "value": "be brief"},
                                  {"from": "human", "value": "2+2?"},
                                  {"from": "gpt", "value": "4"}], "_where": "b.jsonl:1"}
    (a,), (b,) = sft_pairs([openai]), sft_pairs([sharegpt])
    assert a == b
    # The assistant's answer is the one trained segment.
    assert [trained for _, trained in a].count(True) == 1
