from ismart.cli import main

main()
