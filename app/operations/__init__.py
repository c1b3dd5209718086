"""Operations: the workflow from draft to completed, the board, approvals and the JSON API."""
