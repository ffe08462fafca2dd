"""What the tests share (no tests here): the cloud they start from, clients, a learner's hands on the console."""
