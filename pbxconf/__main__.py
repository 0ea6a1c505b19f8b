from pbxconf.cli import run

run()
