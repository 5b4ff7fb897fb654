from certchain.cli import run

run()
