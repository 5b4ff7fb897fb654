from certchain.cli import main

main()
