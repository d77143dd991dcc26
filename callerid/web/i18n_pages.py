"""The words of the /history and /settings pages (and the login page's reset help), in Japanese
and English; `i18n.STRINGS` takes them in. Kept apart so that i18n.py stays a readable size."""

HISTORY_AND_SETTINGS: dict[str, dict[str, str]] = {
    "en": {
        "history_title": "History",
        "per_day": "Calls per day, last 30 days",
        "per_week": "Calls per week, last 12 months",
        "legend_blocked": "Blocked",
        "legend_warned": "Warned",
        "legend_plain": "Ordinary",
        "col_day": "Day",
        "col_week": "Week from",
        "col_month": "Month",
        "col_total": "Total",
        "col_police": "Claiming to be the police",
        "col_number": "Number",
        "col_calls": "Calls",
        "top_callers": "Who called most, last 12 months",
        "police_over_time": "Calls claiming to be the police, per month",
        "no_police": "No calls claiming to be the police in the last 12 months.",
        "no_history": "No calls in this period.",
        "chart_total": "{total} calls in all: {blocked} blocked, {warned} warned, {plain} ordinary.",
        # settings
        "settings_title": "Settings",
        "change_password": "Change the password",
        "current_password": "Current password",
        "change_password_button": "Change password",
        "password_changed": (
            "The password is changed. Other phones and browsers "
            "must log in again with the new one."
        ),
        "wrong_current_password": "The current password is not right.",
        "language_setting": "Language of the site",
        "language_saved": "The site's language is saved.",
        "timezone_setting": "The household's time zone",
        "timezone_help": "Every time on this site and in the CSV is on this clock.",
        "timezone_saved": "Times are now shown in {zone}.",
        "bad_timezone": "That is not a time zone.",
        "save": "Save",
        "notify_settings": "Notifications",
        "status_link": "The appliance's status",
        "more": "More",
        "forgot_password": "Forgot the password?",
        "forgot_help": (
            "Switch the appliance off, put its SD card in a computer, and on the drive called "
            "bootfs create an empty file named {reset}. Put the card back and switch it on. The "
            "password is cleared and a new setup code is shown on a screen plugged into the "
            "appliance and written to the file {code_file} on the same drive."
        ),
    },
    "ja": {
        "history_title": "履歴",
        "per_day": "1日ごとの着信（30日間）",
        "per_week": "週ごとの着信（12か月間）",
        "legend_blocked": "拒否",
        "legend_warned": "警告",
        "legend_plain": "通常",
        "col_day": "日付",
        "col_week": "週の初日",
        "col_month": "月",
        "col_total": "合計",
        "col_police": "警察を名乗る電話",
        "col_number": "番号",
        "col_calls": "回数",
        "top_callers": "よくかけてくる番号（12か月間）",
        "police_over_time": "警察を名乗る電話（月ごと）",
        "no_police": "この12か月間、警察を名乗る電話はありません。",
        "no_history": "この期間の着信はありません。",
        "chart_total": "合計 {total} 件: 拒否 {blocked} 件、警告 {warned} 件、通常 {plain} 件。",
        "settings_title": "設定",
        "change_password": "パスワードの変更",
        "current_password": "現在のパスワード",
        "change_password_button": "パスワードを変更",
        "password_changed": (
            "パスワードを変更しました。"
            "ほかのスマートフォンやブラウザは新しいパスワードで再ログインが必要です。"
        ),
        "wrong_current_password": "現在のパスワードが違います。",
        "language_setting": "サイトの言語",
        "language_saved": "サイトの言語を保存しました。",
        "timezone_setting": "家庭のタイムゾーン",
        "timezone_help": "このサイトと CSV の時刻はすべてこのタイムゾーンで表示します。",
        "timezone_saved": "時刻を {zone} で表示します。",
        "bad_timezone": "タイムゾーンではありません。",
        "save": "保存",
        "notify_settings": "通知の設定",
        "status_link": "本体の状態",
        "more": "その他",
        "forgot_password": "パスワードを忘れたときは",
        "forgot_help": (
            "本体の電源を切り、SD カードをパソコンに差して、bootfs という名前のドライブに "
            "{reset} という名前の空のファイルを作ります。カードを本体に戻して電源を入れると、"
            "パスワードが消え、新しいセットアップコードが本体につないだ画面に表示され、"
            "同じドライブの {code_file} にも書かれます。"
        ),
    },
}
