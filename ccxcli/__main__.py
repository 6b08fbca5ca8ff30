from ccxcli.cli.main import main

raise SystemExit(main())
