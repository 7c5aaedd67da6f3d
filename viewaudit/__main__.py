from viewaudit._cli.main import run

run()
