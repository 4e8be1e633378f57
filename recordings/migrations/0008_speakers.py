# Speakers of a stereo call (issue 16): each segment's speaker ("unknown" for every existing row and
# for mono calls), and the recording's channel layout (empty for recordings transcribed before).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recordings", "0007_play_log_user_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="callrecording",
            name="channel_layout",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "未记录"),
                    ("mono", "单声道（不区分说话人）"),
                    ("stereo", "双声道（坐席与客户分轨）"),
                ],
                default="",
                max_length=6,
                verbose_name="声道",
            ),
        ),
        migrations.AddField(
            model_name="transcriptsegment",
            name="speaker",
            field=models.CharField(
                choices=[("agent", "坐席"), ("customer", "客户"), ("unknown", "未区分")],
                default="unknown",
                max_length=10,
                verbose_name="说话人",
            ),
        ),
    ]
