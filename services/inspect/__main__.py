from labelassist.inspect.server import main

raise SystemExit(main())
