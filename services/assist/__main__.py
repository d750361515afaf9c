from labelassist.assist.server import main

raise SystemExit(main())
