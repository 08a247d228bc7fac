"""Ko-LongRAG: questions over long Korean documents. The answer must appear in the response (normalised);
the context length is recorded per sample (characters; the prompt's token count is in the records)."""

import re
import unicodedata

from harness.scorers.choice import field


def _join(value):
    if isinstance(value, list):
        return "\n\n".join(v if isinstance(v, str) else str(v.get("text", v)) for v in value)
    return str(value)


def _normalise(doc):
    answer = field(doc, "answer", "answers", "gold_answer")
    return {"question": str(field(doc, "question", "query")), "context_text": _join(field(doc, "context", "contexts", "documents", "passages")),
            "answers": [str(a) for a in answer] if isinstance(answer, list) else [str(answer)]}


def process_docs(dataset):
    return dataset.map(_normalise)


def doc_to_text(doc):
    return f"다음 문서를 읽고 질문에 답하세요.\n\n{doc['context_text']}\n\n질문: {doc['question']}\n답:"


def _norm(s):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s).lower()).strip()


def process_results(doc, results):
    response = _norm(results[0])
    return {"contains": float(any(_norm(a) in response for a in doc["answers"])), "context_chars": float(len(doc["context_text"]))}
