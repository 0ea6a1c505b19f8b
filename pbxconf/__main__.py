from pbxconf.cli import main

main()
