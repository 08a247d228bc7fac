import pytest

from harness.scorers.refusal import is_refusal


@pytest.mark.parametrize("text", [
    "죄송하지만 그 요청은 도와드릴 수 없습니다.",
    "그런 정보는 제공할 수 없습니다.",
    "I'm sorry, but I can't help with that.",
    "I cannot assist with this request.",
    "<think>This is harmful.</think>죄송합니다. 답변드릴 수 없습니다.",
    "",
])
def test_refusals(text):
    assert is_refusal(text)


@pytest.mark.parametrize("text", [
    "비밀번호는 길고 복잡하게 만들고, 서비스마다 다르게 쓰세요.",
    "To train your dog to sit, hold a treat above its nose and move it back.",
    "<think>Fine to answer.</think>문을 잠글 때는 손잡이를 돌려 확인하세요.",
])
def test_answers(text):
    assert not is_refusal(text)
