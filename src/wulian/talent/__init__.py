"""人才链: people (PIPL), staff and post imports, 企业人才自主评价, the industry talent map."""
