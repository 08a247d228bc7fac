"""Ko-LongRAG (LGAI-EXAONE/Ko-LongRAG): questions over long Korean documents.

Rows carry `context` (the documents), `question`, `answer`, `titles` and `prompt`, the dataset's own prompt
template with {titles}, {context} and {question} slots, used when present. The reference answer must appear
in the response (NFKC, case and spacing normalised): a rule proxy for the LLM judge LG's report used.
`context_chars` is recorded per sample here; the runner adds `context_tokens` (the model's tokenizer) for the
field named in the task's metadata.context_field.
"""

import re
import unicodedata

DEFAULT_PROMPT = "다음 문서를 읽고 질문에 답하세요.\n\n{context}\n\n질문: {question}\n답:"


def _text(value):
    if isinstance(value, list):
        return "\n\n".join(v if isinstance(v, str) else str(v.get("text", v)) for v in value)
    return str(value)


def _normalise(doc):
    answer = doc["answer"]
    titles = doc.get("titles") or []
    return {"context_text": _text(doc["context"]), "answers": [str(a) for a in answer] if isinstance(answer, list) else [str(answer)],
            "titles_text": ", ".join(map(str, titles)) if isinstance(titles, list) else str(titles)}


def process_docs(dataset):
    return dataset.map(_normalise)


def doc_to_text(doc):
    template = doc.get("prompt") or DEFAULT_PROMPT
    if "{context}" not in template:  # a prompt already filled in: use it as it is
        return template
    # str.replace, not format: documents contain braces.
    return template.replace("{titles}", doc["titles_text"]).replace("{context}", doc["context_text"]).replace("{question}", str(doc["question"]))


def _norm(s):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s).lower()).strip()


def process_results(doc, results):
    response = _norm(results[0])
    return {"contains": float(any(_norm(a) in response for a in doc["answers"])), "context_chars": float(len(doc["context_text"]))}
