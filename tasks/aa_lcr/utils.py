"""AA-LCR (Artificial Analysis long-context reasoning): questions over a set of long documents, judged for
equivalence with the reference answer by a judge model."""

from harness.scorers.choice import field


def _normalise(doc):
    docs = field(doc, "documents", "document_text", "context")
    text = "\n\n".join(docs) if isinstance(docs, list) else str(docs)
    return {"question": str(field(doc, "question")), "answer": str(field(doc, "answer")), "documents_text": text}


def process_docs(dataset):
    return dataset.map(_normalise)


def doc_to_text(doc):
    return (f"BEGIN INPUT DOCUMENTS\n\n{doc['documents_text']}\n\nEND INPUT DOCUMENTS\n\n"
            f"Answer the following question using the input documents provided above.\n\nSTART QUESTION\n\n{doc['question']}\n\nEND QUESTION\n")


def process_results(doc, results):
    return {"context_chars": float(len(doc["documents_text"]))}
