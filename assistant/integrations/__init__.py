"""LangChain integrations: a company-scoped retriever, the answer pipeline as a Runnable, and chat-model phrasing.

The only package of the library that imports LangChain (tests/test_layering.py holds it to that);
`import assistant` does not load it: import `assistant.integrations.langchain` or
`assistant.integrations.llm` where they are used."""
