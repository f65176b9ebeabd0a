"""A pygls server that does nothing: the start-up baseline `bench_lsp.py` compares against."""

from pygls.lsp.server import LanguageServer

if __name__ == "__main__":
    LanguageServer("bare", "0").start_io()
