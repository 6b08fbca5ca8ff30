from ccxcli.cli import main

raise SystemExit(main())
