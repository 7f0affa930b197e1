from ismart.cli.main import main

main()
