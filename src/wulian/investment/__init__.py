"""招商: the project pipeline (项目库) from lead to production, its stage table and figures."""
