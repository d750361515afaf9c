from labelassist.client.web.server import main

raise SystemExit(main())
