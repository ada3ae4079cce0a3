from civicauth.cli import main

raise SystemExit(main())
